"""DIGS's `content_digest`, recomputed independently with hashlib and h5py: SHA-256 over
"path<TAB>dtype<TAB>[shape]<TAB>sha256(little-endian bytes)<NL>" for every dataset in sorted
path order (strings: a u64 length then the UTF-8 bytes of each), `timing/` left out."""
import hashlib

import h5py
import numpy as np

DTYPES = {"f4": "float32", "f8": "float64", "i4": "int32", "i8": "int64", "u1": "uint8"}


def content_digest(path):
    names = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        outer = hashlib.sha256()
        for name in sorted(n for n in names if not n.startswith("timing/")):
            d = f[name]
            if d.dtype.kind in "SOU":
                inner = hashlib.sha256()
                for s in d.asstr()[()].ravel():
                    b = s.encode()
                    inner.update(np.uint64(len(b)).tobytes())
                    inner.update(b)
                dtype = "string"
            else:
                a = d[()]
                dtype = DTYPES[a.dtype.str[1:]]
                inner = hashlib.sha256(np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<"))).tobytes())
            shape = "[" + ", ".join(str(s) for s in d.shape) + "]"
            outer.update(f"{name}\t{dtype}\t{shape}\t{inner.hexdigest()}\n".encode())
    return "sha256:" + outer.hexdigest()


def reseal(path):
    """Records the digest of the file's current datasets, as if DIGS had written them."""
    digest = content_digest(path)
    with h5py.File(path, "r+") as f:
        f.attrs["content_digest"] = digest
