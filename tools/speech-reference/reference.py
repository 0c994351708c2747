#!/usr/bin/env python3
"""Reference transcripts of the test recordings by the original runtime,
for crates/wz-speech/tests/reference.rs.

CTranslate2 (through faster-whisper, both pinned in requirements.txt) runs
the fetched models/whisper-tiny.en (scripts/fetch-models) in float32 on
each 16 kHz WAV of a folder, greedy (beam 1, temperature 0, no
timestamps, no VAD, no conditioning), the settings wz-speech uses. Writes
one JSON object per file: the log-mel features' checksum values (so a
mismatch can be told apart from a decoder one) and the generated tokens.

    /tmp/speech/bin/python tools/speech-reference/reference.py crates/wz-speech/tests/audio \
        > crates/wz-speech/tests/fixtures/reference.json
"""
import json
import pathlib
import sys
import wave

import numpy as np
from faster_whisper import WhisperModel

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = ROOT / "models/whisper-tiny.en"


def read(path):
    with wave.open(str(path), "rb") as wav:
        assert wav.getframerate() == 16000 and wav.getnchannels() == 1 and wav.getsampwidth() == 2
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


def main():
    model = WhisperModel(str(MODEL), device="cpu", compute_type="float32", cpu_threads=1)
    out = {}
    for path in sorted(pathlib.Path(sys.argv[1]).glob("*.wav")):
        audio = read(path)
        features = model.feature_extractor(audio)
        segments, _ = model.transcribe(
            audio,
            language="en",
            beam_size=1,
            best_of=1,
            temperature=0.0,
            without_timestamps=True,
            condition_on_previous_text=False,
            vad_filter=False,
            no_speech_threshold=None,
            log_prob_threshold=None,
            compression_ratio_threshold=None,
        )
        segments = list(segments)
        out[path.name] = {
            "mel_frames": int(features.shape[-1]),
            "mel_sum": float(features.astype(np.float64).sum()),
            "mel_first": [float(v) for v in features[:, 0][:8]],
            "tokens": [t for s in segments for t in s.tokens],
            "text": "".join(s.text for s in segments),
        }
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
