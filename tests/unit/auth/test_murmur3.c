/*
 * MurmurHash3_x64_128 against vectors computed by a separate implementation
 * of the published algorithm (and, for "hello" and the fox, the values other
 * MurmurHash3 ports publish): every tail length 0..40, non-zero seeds,
 * high bytes, and an unaligned input.
 */
#include <stdint.h>
#include <string.h>

#include "auth_private.h"
#include "check.h"

/* Prefixes of this text, lengths 0..40: one and two blocks, every tail size. */
static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN";

static const struct {
	size_t len;
	uint64_t h1, h2;
} prefix_vectors[] = {
	{  0, UINT64_C(0x0000000000000000), UINT64_C(0x0000000000000000) },
	{  1, UINT64_C(0x85555565f6597889), UINT64_C(0xe6b53a48510e895a) },
	{  2, UINT64_C(0x938b11ea16ed1b2e), UINT64_C(0xe65ea7019b52d4ad) },
	{  3, UINT64_C(0xb4963f3f3fad7867), UINT64_C(0x3ba2744126ca2d52) },
	{  4, UINT64_C(0xb87bb7d64656cd4f), UINT64_C(0xf2003e886073e875) },
	{  5, UINT64_C(0x2036d091f496bbb8), UINT64_C(0xc5c7eea04bcfec8c) },
	{  6, UINT64_C(0xe47d86bfaca3bf55), UINT64_C(0xb07109993321845c) },
	{  7, UINT64_C(0xa6cd2f9fc09ee499), UINT64_C(0x1c3aa23ab155bbb6) },
	{  8, UINT64_C(0xcc8a0ab037ef8c02), UINT64_C(0x48890d60eb6940a1) },
	{  9, UINT64_C(0x0547c0cff13c7964), UINT64_C(0x79b53df5b741e033) },
	{ 10, UINT64_C(0xb6c15b0d772f8c99), UINT64_C(0xa24d85dc8c651ac9) },
	{ 11, UINT64_C(0xa895d0b8df789d02), UINT64_C(0xbb7c31e2455ae771) },
	{ 12, UINT64_C(0x8ef39bb1e67ae194), UINT64_C(0x1f9e303272ff621c) },
	{ 13, UINT64_C(0x1648288da7c0fa73), UINT64_C(0x2e657bff0de7cc7f) },
	{ 14, UINT64_C(0x91d094a7f5c375e0), UINT64_C(0xee096027d26a3324) },
	{ 15, UINT64_C(0x8abe2451890c2ffb), UINT64_C(0x6a548c2d9c962a61) },
	{ 16, UINT64_C(0xc4ca3ca3224cb723), UINT64_C(0x4333d695b331eb1a) },
	{ 17, UINT64_C(0x7564747f88bda657), UINT64_C(0xecda499da1110de4) },
	{ 18, UINT64_C(0x77f08cec907f8a50), UINT64_C(0x71d4a8295a00c76b) },
	{ 19, UINT64_C(0x1590bc23de9e6d88), UINT64_C(0xa68a4d2ab66f9474) },
	{ 20, UINT64_C(0x310b3726f937e2f1), UINT64_C(0x9609f42a5716d04b) },
	{ 21, UINT64_C(0xc9d568e279ffc93c), UINT64_C(0xd7cc48c1e99b3cfb) },
	{ 22, UINT64_C(0x9588e330f4abf856), UINT64_C(0x46db1f74a8f4a96d) },
	{ 23, UINT64_C(0x40480aba9d4f238e), UINT64_C(0x83beb7eb1c54e9ff) },
	{ 24, UINT64_C(0x6494960fd4de2cf7), UINT64_C(0x790fcfa35321f208) },
	{ 25, UINT64_C(0x71e7cba42f07960f), UINT64_C(0xedee1581399ebddb) },
	{ 26, UINT64_C(0x749c9d7e516f4aa9), UINT64_C(0xe9ad9c89b6a7d529) },
	{ 27, UINT64_C(0x7e2ddc8410dde045), UINT64_C(0x453ccf6ab10c9336) },
	{ 28, UINT64_C(0x8c064e06c8bb7f61), UINT64_C(0x0b41090b415ea9a8) },
	{ 29, UINT64_C(0x31efcff15e52947e), UINT64_C(0xfbfd84c95e94e310) },
	{ 30, UINT64_C(0x41681900ec9b3341), UINT64_C(0xbf2286ef153218c9) },
	{ 31, UINT64_C(0x4bf06228635658a8), UINT64_C(0xbedbd26090f9ef7a) },
	{ 32, UINT64_C(0x16a127b539e20ae3), UINT64_C(0xedcb0722a1febf68) },
	{ 33, UINT64_C(0xeea5f18b80c96088), UINT64_C(0x23bd1bc4319c6f3a) },
	{ 34, UINT64_C(0xaf9601a9eb077d12), UINT64_C(0xaaf3676aca01947b) },
	{ 35, UINT64_C(0xffca714cc29b2b08), UINT64_C(0x1aa8e701c31aaab7) },
	{ 36, UINT64_C(0xf2596f5eb4ff5e3a), UINT64_C(0x3996b9372e6d94c0) },
	{ 37, UINT64_C(0x5854d088504d8c49), UINT64_C(0xa65e2fa31f197f60) },
	{ 38, UINT64_C(0xd2556a70aacd28fd), UINT64_C(0xc589c3b93355f121) },
	{ 39, UINT64_C(0xcf83c7e6e62467bf), UINT64_C(0xa620897fde9d5bb0) },
	{ 40, UINT64_C(0x7e1e3de19c11e124), UINT64_C(0x4f3c46d72733bc36) },
};

static void expect(const void *data, size_t len, uint32_t seed, uint64_t h1, uint64_t h2)
{
	uint64_t out[2] = { 1, 1 };

	auth_murmur3_x64_128(data, len, seed, out);
	if (out[0] != h1 || out[1] != h2)
		fprintf(stderr, "len %zu seed %#x: got %016" PRIx64 " %016" PRIx64 "\n", len,
			seed, out[0], out[1]);
	CHECK(out[0] == h1);
	CHECK(out[1] == h2);
}

static void test_known(void)
{
	static const char fox[] = "The quick brown fox jumps over the lazy dog";

	expect(NULL, 0, 0, 0, 0);
	expect("", 0, 0, 0, 0);
	expect(fox, strlen(fox), 0, UINT64_C(0xe34bbc7bbc071b6c), UINT64_C(0x7a433ca9c49a9347));
	expect("hello", 5, 0, UINT64_C(0xcbd8a7b341bd9b02), UINT64_C(0x5b1e906a48ae1d19));
}

static void test_tails(void)
{
	for (size_t i = 0; i < sizeof(prefix_vectors) / sizeof(prefix_vectors[0]); i++)
		expect(alpha, prefix_vectors[i].len, 0, prefix_vectors[i].h1, prefix_vectors[i].h2);
}

static void test_seeds(void)
{
	expect("hello", 5, 1, UINT64_C(0xa78ddff5adae8d10), UINT64_C(0x128900ef20900135));
	expect("hello", 5, 0x9747b28c, UINT64_C(0x8c23d6856f071a2e), UINT64_C(0x2a905546b3c1cb83));
	expect("hello", 5, 0xffffffff, UINT64_C(0x347bad75d7575e14), UINT64_C(0xd940b3d7b5fb075c));
	expect(alpha, 31, 1, UINT64_C(0x7e93e896b5724751), UINT64_C(0xa38912284a19bd5e));
	expect(alpha, 31, 0x9747b28c, UINT64_C(0xa7bbd7927a9325af), UINT64_C(0x5fa4cce38a3f7acd));
	expect(alpha, 31, 0xffffffff, UINT64_C(0x631850ea1569ab12), UINT64_C(0x75875b6732b3efa8));
}

/* Bytes >= 0x80 must not sign-extend; the input need not be aligned. */
static void test_bytes(void)
{
	unsigned char all[256 + 1], ff[23];

	for (int i = 0; i < 256; i++)
		all[i + 1] = (unsigned char)i;
	memset(ff, 0xff, sizeof(ff));
	expect(all + 1, 256, 0, UINT64_C(0x1c99c313dc6f12b9), UINT64_C(0x70d6077fab34cc1e));
	expect(ff, sizeof(ff), 0, UINT64_C(0xf40222d1b34f094c), UINT64_C(0x70d58ee4e280e2f5));
}

int main(void)
{
	test_known();
	test_tails();
	test_seeds();
	test_bytes();
	return 0;
}
