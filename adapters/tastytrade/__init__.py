"""The Tastytrade client: OAuth2, REST, DXLink and the account streamer."""

__all__: list[str] = []
