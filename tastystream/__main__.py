from tastystream.cli import main

main()
