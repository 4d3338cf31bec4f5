// test_vl_bits.cpp — rtl/vl_bits.h's word-level field access on VlWide ports against a naive
// bit-by-bit reference, for every field position and width of 1..64 bits in 2- to 12-word
// ports, on random contents; and on the integer port types.
#include "rtl/vl_bits.h"

#include <cstdio>
#include <cstdlib>

namespace {

uint64_t state = 88172645463325252ull;
uint64_t rnd()
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

template <std::size_t N> uint64_t naive_get(const VlWide<N> &p, unsigned lsb, unsigned w)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < w; i++)
		v |= (uint64_t)(p.at((lsb + i) / 32) >> ((lsb + i) % 32) & 1u) << i;
	return v;
}

template <std::size_t N> void naive_put(VlWide<N> &p, unsigned lsb, unsigned w, uint64_t v)
{
	for (unsigned i = 0; i < w; i++) {
		uint32_t bit = 1u << ((lsb + i) % 32);

		if (v >> i & 1u)
			p.at((lsb + i) / 32) |= bit;
		else
			p.at((lsb + i) / 32) &= ~bit;
	}
}

int fails = 0;

template <std::size_t N> void check()
{
	for (unsigned w = 1; w <= 64; w++)
		for (unsigned lsb = 0; lsb + w <= 32 * N; lsb++) {
			VlWide<N> a, b;
			uint64_t v = rnd();

			for (std::size_t k = 0; k < N; k++)
				a.at(k) = b.at(k) = (uint32_t)rnd();
			if (spk_vl::get(a, lsb, w) != naive_get(a, lsb, w)) {
				std::fprintf(stderr, "get N=%zu lsb=%u w=%u differs\n", N, lsb, w);
				fails++;
			}
			spk_vl::put(a, lsb, w, v);
			naive_put(b, lsb, w, v);
			for (std::size_t k = 0; k < N; k++)
				if (a.at(k) != b.at(k)) {
					std::fprintf(stderr, "put N=%zu lsb=%u w=%u: word %zu differs\n", N,
						     lsb, w, k);
					fails++;
				}
		}
}

} // namespace

int main()
{
	uint64_t q = 0;
	uint16_t s = 0;

	check<2>();
	check<3>();
	check<5>();
	check<11>();
	check<12>();
	spk_vl::put(q, 60, 4, 0xf);
	spk_vl::put(s, 3, 5, 0x1f);
	if (q != 0xf000000000000000ull || spk_vl::get(q, 60, 4) != 0xf || s != 0xf8 ||
	    spk_vl::get(s, 3, 5) != 0x1f)
		fails++;
	std::printf("test_vl_bits: %s\n", fails ? "FAILED" : "ok");
	return fails ? 1 : 0;
}
