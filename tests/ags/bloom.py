"""IAM's revocation Bloom filter, as AGS publishes it in
GET /iam/v3/oauth/revocationlist ("revoked_tokens") and as the AccelByte
SDK tests it: MurmurHash3 x64 128-bit (seed 0) and the MURMUR128MITZ64
index strategy (Guava's scheme). Written from the algorithm descriptions;
the self-check pins it to the published murmur3 test vectors."""

import math

_M64 = (1 << 64) - 1
_C1 = 0x87C37B91114253D5
_C2 = 0x4CF5AD432745937F


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & _M64


def _fmix(k):
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & _M64
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & _M64
    k ^= k >> 33
    return k


def _mix_k1(k1):
    return (_rotl((k1 * _C1) & _M64, 31) * _C2) & _M64


def _mix_k2(k2):
    return (_rotl((k2 * _C2) & _M64, 33) * _C1) & _M64


def murmur3_x64_128(data, seed=0):
    """(h1, h2) as unsigned 64-bit ints: the two little-endian halves of
    the 128-bit digest, in the order spaolacci/murmur3.Sum128 returns."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    n = len(data)
    h1 = h2 = seed & _M64
    nblocks = n // 16
    for i in range(nblocks):
        k1 = int.from_bytes(data[16 * i:16 * i + 8], "little")
        k2 = int.from_bytes(data[16 * i + 8:16 * i + 16], "little")
        h1 ^= _mix_k1(k1)
        h1 = _rotl(h1, 27)
        h1 = (h1 + h2) & _M64
        h1 = (h1 * 5 + 0x52DCE729) & _M64
        h2 ^= _mix_k2(k2)
        h2 = _rotl(h2, 31)
        h2 = (h2 + h1) & _M64
        h2 = (h2 * 5 + 0x38495AB5) & _M64
    tail = data[16 * nblocks:]
    if len(tail) > 8:
        h2 ^= _mix_k2(int.from_bytes(tail[8:], "little"))
    if tail:
        h1 ^= _mix_k1(int.from_bytes(tail[:8], "little"))
    h1 ^= n
    h2 ^= n
    h1 = (h1 + h2) & _M64
    h2 = (h2 + h1) & _M64
    h1 = _fmix(h1)
    h2 = _fmix(h2)
    h1 = (h1 + h2) & _M64
    h2 = (h2 + h1) & _M64
    return h1, h2


def _signed64(x):
    x &= _M64
    return x - (1 << 64) if x >> 63 else x


def indexes(data, m, k):
    """MURMUR128MITZ64: bit indexes for data in a filter of m bits."""
    h1, h2 = murmur3_x64_128(data)
    combined = _signed64(h1)
    step = _signed64(h2)
    out = []
    for _ in range(k):
        out.append((combined & 0x7FFFFFFFFFFFFFFF) % m)
        combined = _signed64(combined + step)
    return out


def estimate(n, p=1e-5):
    """(m, k) for n expected insertions at false-positive rate p, m padded
    to whole 64-bit words (what the AccelByte library does)."""
    n = max(n, 1)
    m = int(-n * math.log(p) / (math.log(2) ** 2))
    k = max(1, int(math.floor(0.5 + m / n * math.log(2))))
    return (m + 63) // 64 * 64, k


class Filter:
    """Bit i lives in word i // 64 at bit i % 64, words as uint64."""

    def __init__(self, m=None, k=None):
        if m is None or k is None:
            em, ek = estimate(100)
            m = em if m is None else m
            k = ek if k is None else k
        if m <= 0 or m % 64 or k <= 0:
            raise ValueError("m must be a positive multiple of 64, k positive")
        self.m = m
        self.k = k
        self.words = [0] * (m // 64)

    def put(self, token):
        for i in indexes(token, self.m, self.k):
            self.words[i // 64] |= 1 << (i % 64)
        return self

    def might_contain(self, token):
        return all(self.words[i // 64] >> (i % 64) & 1
                   for i in indexes(token, self.m, self.k))

    def to_json(self):
        return {"m": self.m, "k": self.k, "bits": list(self.words)}

    @classmethod
    def from_json(cls, obj):
        f = cls(len(obj["bits"]) * 64, obj["k"])
        f.words = [int(w) & _M64 for w in obj["bits"]]
        return f


def _selfcheck():
    assert murmur3_x64_128(b"") == (0, 0)
    h1, h2 = murmur3_x64_128(b"The quick brown fox jumps over the lazy dog")
    assert (h1, h2) == (0xE34BBC7BBC071B6C, 0x7A433CA9C49A9347), (hex(h1), hex(h2))
    # Every tail length (0..15) and a multi-block input go through both
    # halves of the tail code; digests must differ and stay stable.
    seen = {murmur3_x64_128(bytes(range(n))) for n in range(40)}
    assert len(seen) == 40
    f = Filter(1024, 7)
    toks = ["tok-%d" % i for i in range(50)]
    for t in toks:
        f.put(t)
    assert all(f.might_contain(t) for t in toks)
    assert all(f.might_contain(t.encode()) for t in toks)
    misses = sum(not f.might_contain("other-%d" % i) for i in range(1000))
    assert misses > 900, misses
    g = Filter.from_json(f.to_json())
    assert g.to_json() == f.to_json() and g.might_contain("tok-3")
    assert sum(bin(w).count("1") for w in Filter(64, 3).put(b"x").words) <= 3
    print("bloom: self-check ok")


if __name__ == "__main__":
    _selfcheck()
