// vl_bits.h — reading and writing bit fields of Verilated ports, whatever width Verilator gave
// them (CData/SData/IData/QData up to 64 bits, VlWide<N> of 32-bit words above). Used by the
// lock-step tests (tests/rtl/) and the co-simulation adapter (rtl/rtl_noc.cpp): a router's five
// links are one port of 5·LinkBits bits, port p at bit p·LinkBits (doc/rtl.md).
#ifndef SPK_VL_BITS_H
#define SPK_VL_BITS_H

#include <verilated.h>

#include <cstdint>
#include <type_traits>

namespace spk_vl {

// bits [lsb, lsb + w) of an integer port, w <= 64
template <typename T>
inline typename std::enable_if<std::is_integral<T>::value, uint64_t>::type
get(const T &port, unsigned lsb, unsigned w)
{
	uint64_t v = (uint64_t)port >> lsb;

	return w >= 64 ? v : v & ((UINT64_C(1) << w) - 1);
}

template <typename T>
inline typename std::enable_if<std::is_integral<T>::value>::type
put(T &port, unsigned lsb, unsigned w, uint64_t v)
{
	uint64_t mask = (w >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << w) - 1) << lsb;

	port = (T)(((uint64_t)port & ~mask) | ((v << lsb) & mask));
}

// the same on a VlWide port: the field spans at most three 32-bit words
template <std::size_t N>
inline uint64_t get(const VlWide<N> &port, unsigned lsb, unsigned w)
{
	unsigned wd = lsb / 32, sh = lsb % 32;
	uint64_t lo = port.at(wd);
	uint64_t v = lo >> sh;

	if (wd + 1 < N)
		v |= (uint64_t)port.at(wd + 1) << (32 - sh);
	if (sh != 0 && wd + 2 < N)
		v |= (uint64_t)port.at(wd + 2) << (64 - sh);
	return w >= 64 ? v : v & ((UINT64_C(1) << w) - 1);
}

template <std::size_t N>
inline void put(VlWide<N> &port, unsigned lsb, unsigned w, uint64_t v)
{
	unsigned wd = lsb / 32, sh = lsb % 32;
	uint64_t m = w >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << w) - 1;

	v &= m;
	// word k of the field covers bits [32k - sh, 32k + 32 - sh) of v (and of m)
	for (unsigned k = 0; k < 3 && wd + k < N; k++) {
		uint32_t mk, vk;

		if (k == 0) {
			mk = (uint32_t)(m << sh);
			vk = (uint32_t)(v << sh);
		} else {
			unsigned s0 = 32 * k - sh;	/* >= 1 */

			if (s0 >= 64)
				break;
			mk = (uint32_t)(m >> s0);
			vk = (uint32_t)(v >> s0);
		}
		if (mk == 0)
			break;
		port.at(wd + k) = (port.at(wd + k) & ~mk) | vk;
	}
}

} // namespace spk_vl

#endif
