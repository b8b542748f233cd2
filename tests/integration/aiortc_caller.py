#!/usr/bin/python3
"""aiortc (Debian's python3-aiortc), the Python WebRTC stack, calls a user over
mediapeer-signal's WebSocket protocol: it logs in, offers video and audio, and
counts the video frames that come back.

    aiortc_caller.py WS_URL CALLEE [--frames N] [--timeout S]

Prints "video frames back: N" and exits 0 once N frames arrived; exits 1 with
the reason otherwise (a refusal, the callee's leave, the deadline).

aioice leaves loopback out of its host candidates; the tests run on loopback
only, so it is given 127.0.0.1 alone.
"""
import argparse
import asyncio
import json
import sys

import aioice.ice
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from aiortc.sdp import candidate_from_sdp
import websockets

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


class CallFailed(Exception):
    """Why the call could not go on."""


async def count_frames(track, wanted, counted):
    frames = 0
    while frames < wanted:
        await track.recv()
        frames += 1
    counted.set_result(frames)


async def add_candidate(pc, payload):
    if isinstance(payload, str):
        payload = json.loads(payload)
    text = payload.get("candidate", "")
    if not text:
        return  # the end of the peer's candidates
    candidate = candidate_from_sdp(text.split(":", 1)[1])
    candidate.sdpMid = payload.get("sdpMid")
    candidate.sdpMLineIndex = payload.get("sdpMLineIndex")
    await pc.addIceCandidate(candidate)


async def read_frames(ws, pc, callee):
    """The signaling server's frames, until it closes or the call cannot go on."""
    async for message in ws:
        frame = json.loads(message)
        kind = frame.get("type")
        if kind == "login" and not frame.get("success"):
            raise CallFailed(f"login refused: {frame.get('message')} ({frame.get('code')})")
        if kind == "error":
            raise CallFailed(f"refused: {frame.get('message')} ({frame.get('code')})")
        if kind == "leave":
            raise CallFailed(f"{callee} left: {frame.get('reason', 'no reason')}")
        if kind == "answer":
            answer = json.loads(frame["answer"])
            await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
        if kind == "candidate":
            await add_candidate(pc, frame["candidate"])
    raise CallFailed("the signaling server closed the connection")


async def call(url, callee, wanted):
    pc = RTCPeerConnection()
    pc.addTrack(VideoStreamTrack())
    pc.addTrack(AudioStreamTrack())
    counted = asyncio.get_running_loop().create_future()
    pc.on("track", lambda track: track.kind == "video" and asyncio.ensure_future(
        count_frames(track, wanted, counted)))
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "login", "name": "aiortc"}))
        await pc.setLocalDescription(await pc.createOffer())  # aiortc gathers first: candidates inside
        offer = {"type": "offer", "sdp": pc.localDescription.sdp}
        await ws.send(json.dumps({"type": "offer", "name": callee, "offer": offer}))
        reader = asyncio.ensure_future(read_frames(ws, pc, callee))
        done, _ = await asyncio.wait([reader, counted], return_when=asyncio.FIRST_COMPLETED)
        if reader in done:
            reader.result()  # raises why the call could not go on
        reader.cancel()
        await ws.send(json.dumps({"type": "leave", "name": callee}))
    await pc.close()
    return counted.result()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("callee")
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=20)
    args = parser.parse_args()
    try:
        frames = await asyncio.wait_for(call(args.url, args.callee, args.frames), args.timeout)
    except asyncio.TimeoutError:
        print(f"no {args.frames} video frames back within {args.timeout} s", file=sys.stderr)
        return 1
    except CallFailed as failed:
        print(f"call failed: {failed}", file=sys.stderr)
        return 1
    print(f"video frames back: {frames}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
