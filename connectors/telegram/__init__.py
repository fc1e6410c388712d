"""Telegram, with python-telegram-bot 22, inside the gateway's own FastAPI app."""
