"""Writes the small h5py-made fixtures the VideoData tests read back exactly.

Run from the repository root with the project's venv:
    ../venv/bin/python tools/data/make_fixtures.py
Outputs (in Tests/VideoDataTests/Fixtures/):
  mr_hisum_tiny.h5, mr_hisum_tiny_split.json, mr_hisum_tiny_metadata.csv, mr_hisum_tiny_expected.json
  eccv16_tiny.h5, eccv16_tiny_splits.json, eccv16_tiny_expected.json
The expected JSON files hold the exact values written, floats as C99 hex strings (float.hex) so that
no decimal parsing can blur them.
"""
import json
import os

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "VideoDataTests", "Fixtures")
WIDTH = 16  # a real set has 1024; the readers take any width


def mr_hisum(rng):
    path = os.path.join(OUT, "mr_hisum_tiny.h5")
    expected = {}
    lengths = {"video_1": 12, "video_2": 7, "video_3": 9}
    shots = {"video_1": [[0, 4], [4, 9], [9, 12]], "video_2": [[0, 7]], "video_3": [[0, 3], [3, 5], [5, 9]]}
    with h5py.File(path, "w", track_order=False) as f:
        f.attrs["description"] = "tiny MR.HiSum-layout fixture"  # h5py: variable-length UTF-8 string
        f.attrs["videos"] = np.int64(3)
        for key, n in lengths.items():
            g = f.create_group(key)
            # uint8-grid features de-quantised as in YouTube-8M, stored float32
            q = rng.integers(0, 256, size=(n, WIDTH))
            features = (q * 4.0 / 255.0 - 2.0).astype(np.float32)
            # float64 values that are not representable in float32 (rounding is checked)
            gtscore = rng.random(n) * (1 - 1e-9) + 1e-12
            cps = np.array(shots[key], dtype=np.int64)
            summary = np.zeros(n, dtype=np.float32)
            summary[cps[0, 0]:cps[0, 1]] = 1
            g.create_dataset("features", data=features)
            g.create_dataset("gtscore", data=gtscore)  # float64
            g.create_dataset("change_points", data=cps)  # int64
            # both spellings seen in the wild: video_2 uses the README's `gtsummary`
            g.create_dataset("gtsummary" if key == "video_2" else "gt_summary", data=summary)
            expected[key] = {
                "features": [float(x).hex() for x in features.reshape(-1)],
                "width": WIDTH,
                "gtscore": [float(x).hex() for x in gtscore],
                "change_points": shots[key],
                "gt_summary": [float(x).hex() for x in summary],
            }
    split = {"train_keys": ["video_1", "video_3"], "val_keys": [], "test_keys": ["video_2"]}
    with open(os.path.join(OUT, "mr_hisum_tiny_split.json"), "w") as f:
        json.dump(split, f)
    with open(os.path.join(OUT, "mr_hisum_tiny_metadata.csv"), "w") as f:
        f.write("video_id,yt8m_file,random_id,youtube_id,duration,views,labels\n")
        f.write("video_1,train0001.tfrecord,Ab12,dQw4w9WgXcQ,12,51234,[8]\n")
        f.write('video_2,train0001.tfrecord,Cd34,9bZkp7q19f0,7,1200000,"[3, 17]"\n')
        f.write("video_3,train0002.tfrecord,Ef56,kJQP7kiw5Fk,9,50000,[]\n")
    with open(os.path.join(OUT, "mr_hisum_tiny_expected.json"), "w") as f:
        json.dump(expected, f)


def eccv16(rng):
    path = os.path.join(OUT, "eccv16_tiny.h5")
    expected = {}
    steps = {"video_1": 6, "video_2": 5}
    with h5py.File(path, "w") as f:
        for key, n_steps in steps.items():
            g = f.create_group(key)
            n_frames = n_steps * 15 - 3
            picks = np.arange(n_steps, dtype=np.int64) * 15
            # inclusive [start, end] frame indices
            bounds = [0, 20, 47, n_frames]
            cps = np.array([[bounds[i], bounds[i + 1] - 1] for i in range(3)], dtype=np.int64)
            features = rng.standard_normal((n_steps, WIDTH)).astype(np.float32)
            gtscore = rng.random(n_steps)  # float64
            users = (rng.random((3, n_frames)) < 0.2).astype(np.float32)
            gtsummary = (rng.random(n_steps) < 0.3).astype(np.float32)
            g.create_dataset("features", data=features)
            g.create_dataset("gtscore", data=gtscore)
            g.create_dataset("change_points", data=cps)
            g.create_dataset("n_frame_per_seg", data=cps[:, 1] - cps[:, 0] + 1)
            g.create_dataset("n_frames", data=np.int64(n_frames))
            g.create_dataset("picks", data=picks)
            g.create_dataset("n_steps", data=np.int64(n_steps))
            g.create_dataset("user_summary", data=users)
            g.create_dataset("gtsummary", data=gtsummary)
            g.create_dataset("video_name", data=f"clip {key}")
            expected[key] = {
                "features": [float(x).hex() for x in features.reshape(-1)],
                "width": WIDTH,
                "gtscore": [float(x).hex() for x in gtscore],
                "n_frames": int(n_frames),
                "picks": [int(x) for x in picks],
                "change_points_inclusive": cps.tolist(),
                "user_summary": users.tolist(),
                "gtsummary": [float(x).hex() for x in gtsummary],
            }
    # keys written as paths, as some published split files do
    splits = [
        {"train_keys": ["eccv16_tiny.h5/video_1"], "test_keys": ["eccv16_tiny.h5/video_2"]},
        {"train_keys": ["video_2"], "test_keys": ["video_1"]},
    ]
    with open(os.path.join(OUT, "eccv16_tiny_splits.json"), "w") as f:
        json.dump(splits, f)
    with open(os.path.join(OUT, "eccv16_tiny_expected.json"), "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    rng = np.random.default_rng(20240607)
    mr_hisum(rng)
    eccv16(rng)
