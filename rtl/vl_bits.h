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

// the same on a VlWide port, bit by 32-bit word
template <std::size_t N>
inline uint64_t get(const VlWide<N> &port, unsigned lsb, unsigned w)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < w; i++) {
		unsigned b = lsb + i;

		v |= (uint64_t)(port.at(b / 32) >> (b % 32) & 1u) << i;
	}
	return v;
}

template <std::size_t N>
inline void put(VlWide<N> &port, unsigned lsb, unsigned w, uint64_t v)
{
	for (unsigned i = 0; i < w; i++) {
		unsigned b = lsb + i;
		uint32_t bit = 1u << (b % 32);

		if (v >> i & 1u)
			port.at(b / 32) |= bit;
		else
			port.at(b / 32) &= ~bit;
	}
}

} // namespace spk_vl

#endif
