// Tastytrade's own JS SDK (@tastytrade/api), unchanged, in Node against the sandbox:
// OAuth refresh grant (with the SDK's own User-Agent), a REST read, then its quote streamer
// (dxFeed's @dxfeed/dxlink-api, FEED_SETUP without acceptEventFields: the server's default
// fields). Prints one JSON object per line on stdout:
//   {"kind":"token","expiresIn":N}  {"kind":"accounts","numbers":[...]}
//   {"kind":"event","event":{...}}  (each event as the SDK's listener received it)
//   {"kind":"log","level":"error","message":"..."}  (anything the SDK or dxLink logged)
//   {"kind":"done","complete":true|false}
// Exit code 0 once every wanted (type, symbol) arrived, 1 on timeout or error.
//
// Environment: TT_JS_SDK_DIR (a folder whose node_modules holds the pinned SDK),
// TT_BASE_URL, TT_STREAMER_URL, TT_CLIENT_SECRET, TT_REFRESH_TOKEN,
// TT_SYMBOLS (comma-separated streamer symbols), TT_WANT_TYPES (comma-separated),
// TT_TIMEOUT_MS.
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const env = process.env
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

for (const level of ['error', 'warn']) {
  console[level] = (...args) => emit({
    kind: 'log',
    level,
    message: args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' ')
  })
}

const require = createRequire(join(env.TT_JS_SDK_DIR, 'package.json'))
const load = async (name) => import(pathToFileURL(require.resolve(name)).href)

// The SDK's quote streamer uses the global WebSocket (browser style; its source notes that
// Node needs one provided). Node 20 has none: give it `ws`, a dependency of the SDK itself.
if (typeof globalThis.WebSocket === 'undefined') {
  const ws = await load('ws')
  globalThis.WebSocket = ws.WebSocket ?? ws.default
}

const { default: TastytradeClient } = await load('@tastytrade/api')

const symbols = env.TT_SYMBOLS.split(',')
const wantTypes = env.TT_WANT_TYPES.split(',')
const wanted = new Set(symbols.flatMap((s) => wantTypes.map((t) => `${t}|${s}`)))
const seen = new Set()

const finish = (complete, code) => {
  emit({ kind: 'done', complete })
  process.exit(code)
}
setTimeout(() => finish(false, 1), Number(env.TT_TIMEOUT_MS || 30000)).unref()

try {
  const client = new TastytradeClient({
    baseUrl: env.TT_BASE_URL,
    accountStreamerUrl: env.TT_STREAMER_URL,
    clientSecret: env.TT_CLIENT_SECRET,
    refreshToken: env.TT_REFRESH_TOKEN,
    oauthScopes: ['read', 'trade']
  })
  const token = await client.httpClient.generateAccessToken()
  emit({ kind: 'token', expiresIn: token.expiresIn })
  const accounts = await client.accountsAndCustomersService.getCustomerAccounts()
  emit({ kind: 'accounts', numbers: accounts.map((a) => a.account['account-number']) })

  client.quoteStreamer.addEventListener((events) => {
    for (const event of events) {
      emit({ kind: 'event', event })
      seen.add(`${event.eventType}|${event.eventSymbol}`)
    }
    if ([...wanted].every((key) => seen.has(key))) {
      finish(true, 0)
    }
  })
  await client.quoteStreamer.connect()
  client.quoteStreamer.subscribe(symbols) // the SDK's default event types
} catch (error) {
  emit({ kind: 'log', level: 'fatal', message: `${error.name}: ${error.message} ${error.response ? JSON.stringify({ status: error.response.status, data: String(error.response.data).slice(0, 200) }) : ''}` })
  finish(false, 1)
}
