"""The FastAPI gateway: owns conversations, masks personal data, forwards to Rasa."""
