#!/usr/bin/env python3
"""Writes the MAT-file fixtures of libs/data: golden files for the TypeScript reader (mat5.ts), written
independently of it by scipy.io.savemat, plus a hand-assembled file in MATLAB's own style (UTF-16 chars,
doubles stored as small integers, small data elements) that scipy.io.loadmat checks before it is kept,
the broken files of the reader's not-ok corpus, and the devkit annotation files of the Cars-196 importer test.

    python3 libs/data/scripts/make-mat5-fixtures.py   # scipy 1.17, numpy 2

The 116-byte header text is fixed (savemat puts the time in it), so a rerun rewrites the same bytes.
The values written here are hard-coded again in mat5.spec.ts and cars196.spec.ts.
"""

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import scipy.io as sio
import scipy.sparse as sparse

DATA = Path(__file__).resolve().parent.parent
OK = DATA / "test/importers/mat5/ok"
NOT_OK = DATA / "test/importers/mat5/not-ok"
DEVKIT = DATA / "test/importers/cars196/devkit"
HEADER_TEXT = b"MATLAB 5.0 MAT-file, written by libs/data/scripts/make-mat5-fixtures.py (scipy.io.savemat)"


def savemat_bytes(mdict, compress=False):
    out = io.BytesIO()
    sio.savemat(out, mdict, do_compression=compress)
    data = bytearray(out.getvalue())
    data[0:116] = HEADER_TEXT.ljust(116, b" ")
    return bytes(data)


def write(folder, name, data):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    print(f"{len(data):6d}  {(folder / name).relative_to(DATA)}")


def numeric():
    return {
        "m": np.array([[1.5, -2.0, 3.0], [4.0, 0.1, np.inf]]),
        "f": np.array([0.25, -1.5], dtype=np.float32),
        "i8": np.array([-128, 0, 127], dtype=np.int8),
        "u8": np.array([[0, 255], [7, 8]], dtype=np.uint8),
        "i16": np.array([-32768, 32767], dtype=np.int16),
        "u16": np.array([65535], dtype=np.uint16),
        "i32": np.array([-2147483648, 2147483647], dtype=np.int32),
        "u32": np.array([4294967295], dtype=np.uint32),
        "i64": np.array([-(2**53), 2**53], dtype=np.int64),
        "u64": np.array([0, 2**53], dtype=np.uint64),
        "t": np.array([True, False, True]),
        "e": np.zeros((0, 3)),
        "x3": np.arange(24, dtype=np.float64).reshape(2, 3, 4),
    }


def text():
    nested = np.empty((1, 3), dtype=object)
    nested[0, 0] = np.array([[1.0, 2.0]])
    nested[0, 1] = "two"
    nested[0, 2] = np.array(["a"], dtype=object)
    return {
        "s": "SLCA",
        "u": "Citroën C-Élysée",
        "m": np.array(["abc", "def"]),
        "e": "",
        "class_names": np.array(
            [["AM General Hummer SUV 2000", "Acura RL Sedan 2012", "Volvo XC90 SUV 2007"]], dtype=object
        ),
        "nested": nested,
    }


ANNOTATION_FIELDS = ["bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2", "class", "fname"]


def annotations(rows, class_type=np.uint8, box_types=(np.uint8, np.uint8, np.uint16, np.uint16)):
    """A 1×N struct array shaped like the devkit's `annotations` (x1, y1, x2, y2, class, fname)."""
    out = np.zeros((1, len(rows)), dtype=[(f, "O") for f in ANNOTATION_FIELDS])
    for i, (x1, y1, x2, y2, cls, fname) in enumerate(rows):
        boxes = [t(v) for t, v in zip(box_types, (x1, y1, x2, y2))]
        out[0, i] = (*boxes, class_type(cls), fname)
    return out


ROWS = [
    (39, 116, 569, 375, 14, "00001.jpg"),
    (36, 116, 868, 587, 3, "00002.jpg"),
    (85, 109, 601, 381, 91, "00003.jpg"),
]


def structs():
    return {
        "annotations": annotations(ROWS),
        "annotations_double": annotations(ROWS, np.float64, (np.float64,) * 4),
        "meta": {"name": "cars", "count": 196.0},
    }


# ---- a file assembled byte by byte the way MATLAB writes one -------------------------------------------

MI_INT8, MI_UINT8, MI_INT16, MI_UINT16, MI_INT32, MI_UINT32 = 1, 2, 3, 4, 5, 6
MI_MATRIX, MI_COMPRESSED = 14, 15
MX_CELL, MX_CHAR, MX_DOUBLE = 1, 4, 6


def element(mi_type, payload):
    if len(payload) <= 4:  # small data element: size and type share the first 4 bytes
        return struct.pack("<HH", mi_type, len(payload)) + payload.ljust(4, b"\0")
    return struct.pack("<II", mi_type, len(payload)) + payload + b"\0" * (-len(payload) % 8)


def matrix(mx_class, dims, name, *parts):
    body = element(MI_UINT32, struct.pack("<II", mx_class, 0))
    body += element(MI_INT32, struct.pack(f"<{len(dims)}i", *dims))
    body += element(MI_INT8, name.encode("ascii"))
    body += b"".join(parts)
    return struct.pack("<II", MI_MATRIX, len(body)) + body


def utf16_char(value):
    return matrix(MX_CHAR, (1, len(value)), "", element(MI_UINT16, value.encode("utf-16-le")))


def matlab_style():
    names = ["Audi A5 Coupe 2012", "Škoda Octavia 2012"]
    header = b"MATLAB 5.0 MAT-file, Platform: GLNXA64, written by make-mat5-fixtures.py".ljust(116, b" ")
    header += b"\0" * 8 + struct.pack("<H", 0x0100) + b"IM"
    cls = matrix(MX_DOUBLE, (1, 3), "cls", element(MI_UINT8, bytes([1, 2, 255])))
    big = matrix(MX_DOUBLE, (2, 1), "big", element(MI_INT16, struct.pack("<2h", -300, 300)))
    cell = matrix(MX_CELL, (1, 2), "names", *(utf16_char(n) for n in names))
    compressed = zlib.compress(cell)
    data = header + cls + big + struct.pack("<II", MI_COMPRESSED, len(compressed)) + compressed
    loaded = sio.loadmat(io.BytesIO(data), uint16_codec="utf-16-le")
    assert loaded["cls"].ravel().tolist() == [1, 2, 255], loaded["cls"]
    assert loaded["big"].ravel().tolist() == [-300, 300], loaded["big"]
    assert [str(c[0]) for c in loaded["names"][0]] == names, loaded["names"]
    return data


# ---- the not-ok corpus: savemat output with one thing broken ------------------------------------------


def patched(data, find, replace):
    at = data.index(find)
    return data[:at] + replace + data[at + len(find) :]


def not_ok():
    plain = savemat_bytes({"m": np.array([[1.5, -2.0, 3.0], [4.0, 0.1, np.inf]]), "n": np.array([7.0])})
    squeezed = savemat_bytes({"class_names": text()["class_names"]}, compress=True)
    header = bytearray(plain)
    header[0:116] = b"MATLAB 4 MAT-file? no, a text file".ljust(116, b" ")
    hdf5 = bytearray(plain)
    hdf5[0:116] = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00 .".ljust(116, b" ")
    big_endian = bytearray(plain)
    big_endian[124:128] = b"\x01\x00MI"
    corrupt = bytearray(squeezed)
    corrupt[-4:] = bytes(b ^ 0xFF for b in corrupt[-4:])  # the zlib stream's Adler-32 check
    # m's real part: 6 doubles = 48 bytes; claim 480, which runs past the end of m's miMATRIX
    past_end = patched(plain, struct.pack("<II", 9, 48), struct.pack("<II", 9, 480))
    unknown_type = patched(plain, struct.pack("<II", 9, 48), struct.pack("<II", 11, 48))
    # the same overrun inside a compressed element, so the offset is one in the inflated data
    deflated = zlib.compress(past_end[128:])
    deflated_past_end = past_end[:128] + struct.pack("<II", MI_COMPRESSED, len(deflated)) + deflated
    # record 2's class (uint8 3, a small data element) given an unknown data type
    record = savemat_bytes({"annotations": annotations(ROWS)})
    bad_field = patched(record, struct.pack("<HHI", MI_UINT8, 1, 3), struct.pack("<HHI", 11, 1, 3))
    return {
        "short-header.mat": plain[:100],
        "bad-header.mat": bytes(header),
        "hdf5-v73.mat": bytes(hdf5),
        "big-endian.mat": bytes(big_endian),
        "truncated.mat": plain[: len(plain) - 10],
        "truncated-in-tag.mat": plain[:132],
        "corrupt-zlib.mat": bytes(corrupt),
        "size-past-end.mat": past_end,
        "unknown-type.mat": unknown_type,
        "compressed-size-past-end.mat": deflated_past_end,
        "struct-field-unknown-type.mat": bad_field,
        "complex.mat": savemat_bytes({"z": np.array([1 + 2j])}),
        "sparse.mat": savemat_bytes({"s": sparse.csc_matrix(np.eye(2))}),
        "int64-inexact.mat": savemat_bytes({"big": np.array([2**53 + 1], dtype=np.int64)}),
    }


# ---- the Cars-196 importer's devkit: 3 classes, 4 train and 3 test images ------------------------------

DEVKIT_NAMES = ["AM General Hummer SUV 2000", "Acura RL Sedan 2012", "Volvo XC90 SUV 2007"]
DEVKIT_TRAIN = [
    (10, 20, 100, 80, 3, "00001.jpg"),
    (5, 6, 60, 50, 1, "00002.jpg"),
    (7, 8, 90, 70, 2, "00003.jpg"),
    (1, 2, 30, 40, 1, "00004.jpg"),
]
DEVKIT_TEST = [
    (3, 4, 50, 60, 2, "00001.jpg"),
    (9, 9, 99, 99, 1, "00002.jpg"),
    (2, 3, 40, 30, 3, "00003.jpg"),
]


def devkit():
    def with_class(rows, index, cls):
        return [r if i != index else (*r[:4], cls, r[5]) for i, r in enumerate(rows)]

    names = np.array([DEVKIT_NAMES], dtype=object)
    unlabelled = np.zeros((1, len(DEVKIT_TEST)), dtype=[(f, "O") for f in ANNOTATION_FIELDS if f != "class"])
    for i, (x1, y1, x2, y2, _, fname) in enumerate(DEVKIT_TEST):
        unlabelled[0, i] = (float(x1), float(y1), float(x2), float(y2), fname)
    return {
        "cars_meta.mat": savemat_bytes({"class_names": names}),
        "cars_meta-4-classes.mat": savemat_bytes(
            {"class_names": np.array([[*DEVKIT_NAMES, "Zeta 2012"]], dtype=object)}
        ),
        # like the devkit's own test annotations, which have no class field
        "cars_test_annos.mat": savemat_bytes({"annotations": unlabelled}, compress=True),
        "cars_train_annos.mat": savemat_bytes({"annotations": annotations(DEVKIT_TRAIN)}, compress=True),
        "cars_test_annos_withlabels.mat": savemat_bytes(
            {"annotations": annotations(DEVKIT_TEST, np.float64, (np.float64,) * 4)}
        ),
        "cars_train_annos-class-0.mat": savemat_bytes(
            {"annotations": annotations(with_class(DEVKIT_TRAIN, 2, 0))}, compress=True
        ),
        "cars_test_annos_withlabels-class-197.mat": savemat_bytes(
            {"annotations": annotations(with_class(DEVKIT_TEST, 1, 197), np.uint16)}, compress=True
        ),
    }


def main():
    for compress in (False, True):
        suffix = "-compressed" if compress else ""
        write(OK, f"numeric{suffix}.mat", savemat_bytes(numeric(), compress))
        write(OK, f"text{suffix}.mat", savemat_bytes(text(), compress))
        write(OK, f"struct{suffix}.mat", savemat_bytes(structs(), compress))
    write(OK, "matlab-style.mat", matlab_style())
    for name, data in not_ok().items():
        write(NOT_OK, name, data)
    for name, data in devkit().items():
        write(DEVKIT, name, data)


if __name__ == "__main__":
    main()
