"""WeChat Official Account (公众号) on wechatpy 1.8.18: the callback protocol (signature,
safe-mode AES, XML), the customer-service message API and its shared access token.

wechatpy is synchronous (requests), so every call into it that may block runs in a worker
thread. 1.8.18 is the newest release on PyPI; the 2.x line exists only as pre-releases.
"""
