"""政务咨询助手: the gateway, actions, persistence and process runner around Rasa."""
