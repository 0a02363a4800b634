"""The Telegram side of Newswatch: configuration, storage, application wiring and delivery."""
