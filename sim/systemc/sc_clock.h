// sc_clock.h — cycles and SystemC time in the SystemC engine (doc/simulator.md).
//
// Simulated time is cycle × clock period (the arch's clock, rounded to an even number of the
// kernel's time resolution, 1 ps) from an origin, the start of the current run. Every unit is
// evaluated at the start of its cycles (x·T); the network interfaces take credits in the next
// delta of the same instant; the NoC evaluates cycle x half a period later (x·T + T/2), after
// every unit of x, and the packets it delivers are handed to their units at (x + 1)·T.
#ifndef SPK_SC_CLOCK_H
#define SPK_SC_CLOCK_H

#include <systemc>

#include <cassert>
#include <cstdint>

namespace spk_sc {

struct clock {
	uint64_t period = 2;	// time-resolution units per cycle (even)
	uint64_t origin = 0;	// time of cycle 0 of the current run

	// The current cycle.
	uint64_t cycle() const
	{
		return (sc_core::sc_time_stamp().value() - origin) / period;
	}

	// From now to the start of cycle y, or to its middle (the NoC's phase).
	sc_core::sc_time until(uint64_t y, bool middle) const
	{
		uint64_t at = origin + y * period + (middle ? period / 2 : 0);
		uint64_t now = sc_core::sc_time_stamp().value();

		assert(at > now);
		return sc_core::sc_time::from_value(at - now);
	}
};

} // namespace spk_sc

#endif
