"""Every message a client may send, as one pydantic schema each, in one place.

`http.py` holds the HTTP request bodies, `socket.py` the socket.io event payloads; both are
read from JSON text by `base.parse`, so bad input of any shape (not JSON, nested too deep,
a lone surrogate, 1e999, a string where a number belongs, an unknown field) gets the same
clear error. The OpenAPI document (web/openapi.py) and the signaling document's test are
generated from, or checked against, these same schemas.
"""
