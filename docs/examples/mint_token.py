#!/usr/bin/env python3
"""Mint a mediapeer token in an application's own backend (Python 3, standard
library only): an HS256 JWT whose `sub` is the one name it may log in as.

    python3 mint_token.py SECRET_FILE NAME [TTL_SECONDS]
"""
import base64, hashlib, hmac, json, sys, time


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(secret: bytes, name: str, ttl: int = 3600) -> str:
    now = int(time.time())
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64url(json.dumps({"sub": name, "iat": now, "exp": now + ttl}).encode())
    signature = hmac.new(secret, f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{b64url(signature)}"


if __name__ == "__main__":
    # The key is the file's contents without trailing white space, as
    # mediapeer-signal --auth-secret-file reads it.
    secret = open(sys.argv[1], "rb").read().rstrip()
    print(mint(secret, sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3600))
