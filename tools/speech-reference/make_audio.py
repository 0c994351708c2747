#!/usr/bin/env python3
"""Test recordings of spoken digits, synthesised by espeak-ng (Debian
package `espeak-ng`), for crates/wz-speech/tests.

Each line of SCRIPT is spoken by espeak-ng (22,050 Hz), resampled to
16 kHz by libsoxr (PyPI soxr, pinned in requirements.txt), given 0.3 s of
silence either side and written as 16-bit mono PCM WAV, the platform's
audio format. These are synthetic voices: they show the pipeline works
end to end, not how it does on citizens' phones.

    python3 -m venv /tmp/speech && /tmp/speech/bin/pip install -r tools/speech-reference/requirements.txt
    /tmp/speech/bin/python tools/speech-reference/make_audio.py crates/wz-speech/tests/audio

With `--set N` it writes instead N recordings of random 4-digit challenges
per voice of VOICES (English accents and speeds, and Mandarin read as
Chinese numerals), named VOICE_SPEED_DIGITS.wav, for `wz speech digits`:

    /tmp/speech/bin/python tools/speech-reference/make_audio.py --set 20 /tmp/digits
"""
import pathlib
import random
import subprocess
import sys
import wave

import numpy as np
import soxr

RATE = 16000

# file stem, espeak-ng voice, words per minute, text
SCRIPT = [
    ("en_us_4719", "en-us", 140, "4 7 1 9"),
    ("en_us_0385", "en-us", 160, "0 3 8 5"),
    ("en_gb_2604", "en-gb", 140, "2 6 0 4"),
    ("en_us_f_9531", "en-us+f3", 130, "9 5 3 1"),
    ("en_us_slow_8276", "en-us+m3", 110, "8 2 7 6"),
    ("en_us_words", "en-us", 150, "the weather is nice today"),
    ("cmn_4719", "cmn", 150, "四七一九"),
]


# espeak-ng voices for the measured set: English accents (male, female
# variants) and Mandarin.
VOICES = ["en-us", "en-gb", "en-us+f3", "en-us+m3", "en-gb-x-rp", "en-029", "cmn"]
CHINESE = "零一二三四五六七八九"


def speak(voice, speed, text):
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    # espeak-ng writes a streaming header whose sizes are placeholders:
    # the samples are everything after the 44-byte header.
    rate = int.from_bytes(wav[24:28], "little")
    samples = np.frombuffer(wav[44:], dtype="<i2").astype(np.float32) / 32768.0
    return soxr.resample(samples, rate, RATE)


def write(path, samples):
    pad = np.zeros(int(0.3 * RATE), dtype=np.float32)
    pcm = np.clip(np.concatenate([pad, samples, pad]) * 32767.0, -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())


def make_set(folder, per_voice):
    rng = random.Random(17)
    for voice in VOICES:
        for _ in range(per_voice):
            digits = "".join(rng.choice("0123456789") for _ in range(4))
            speed = rng.randrange(120, 175, 5)
            text = "".join(CHINESE[int(d)] for d in digits) if voice == "cmn" else " ".join(digits)
            write(folder / f"{voice.replace('+', '-')}_{speed}_{digits}.wav", speak(voice, speed, text))


def main():
    if sys.argv[1] == "--set":
        folder = pathlib.Path(sys.argv[3])
        folder.mkdir(parents=True, exist_ok=True)
        make_set(folder, int(sys.argv[2]))
        return
    folder = pathlib.Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    for stem, voice, speed, text in SCRIPT:
        write(folder / f"{stem}.wav", speak(voice, speed, text))
    write(folder / "silence.wav", np.zeros(RATE, dtype=np.float32))
    # One clip per digit (no padding), which tests splice into the digits
    # of a challenge they cannot choose.
    (folder / "digits").mkdir(exist_ok=True)
    for digit in range(10):
        samples = speak("en-us", 150, str(digit))
        pcm = np.clip(samples * 32767.0, -32768, 32767).astype("<i2")
        with wave.open(str(folder / "digits" / f"{digit}.wav"), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(pcm.tobytes())


if __name__ == "__main__":
    main()
