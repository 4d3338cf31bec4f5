// sc_chip.cpp — the chip top of the SystemC engine (sc_chip.h; doc/simulator.md "The SystemC
// engine"): one module per used tile's unit and network interface, wired by signals, one NoC
// module, and a control process; the chip itself (units, network, recording, statistics) is the
// one spk_chip_create() built, driven through sim/chip_engine.h.
//
// Who runs when, in cycle x (time origin + x·T; sc_clock.h):
//   x·T, delta 0   every unit with work in x: its packet that arrived in x, then its evaluation
//                  (packets offered to its NI are injected in x, as natively)
//   x·T, delta 1   the NIs give back the credits their units freed in x; the control process
//                  (if an encoder or the readout was evaluated): images out to the hook, the next
//                  image into the encoders in x + 1; the end of the run
//   x·T + T/2      the NoC evaluates x; what arrives in x + 1 goes onto the NIs' rx signals
// This is the order of spk_chip_run()'s loop, so every count is the same.
#include "sim/systemc/sc_chip.h"

#include "sim/systemc/sc_clock.h"
#include "sim/systemc/sc_noc.h"
#include "sim/systemc/sc_unit.h"
#include "rtl/rtl_noc.h"
#include "rtl/rtl_ports.h"
#include "rtl/rtl_units.h"

extern "C" {
#include "sim/chip_engine.h"
}

#include <systemc>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

// libsystemc holds main() and calls sc_main(); spikechip has its own main() and starts the
// kernel itself, so this is never called.
int sc_main(int, char **)
{
	return 0;
}

namespace spk_sc {

// spk_chip_systemc_set_rtl()'s choice, for the runs that follow.
unsigned rtl_blocks;
std::string rtl_wave;
uint64_t rtl_wave_from, rtl_wave_to;
std::vector<uint32_t> rtl_tiles;	// ascending; empty: every tile

namespace {

// The signals between a unit and its NI.
struct tile_wires {
	sc_core::sc_signal<uint64_t> rx_head, rx_body, rx_id, credit;
	sc_core::sc_signal<uint32_t> rx_value, rx_valid;
};

std::string tile_name(uint32_t t, const char *what)
{
	return "t" + std::to_string(t) + "_" + what;
}

} // namespace

class chip_top : public sc_core::sc_module, public unit_observer {
public:
	SC_HAS_PROCESS(chip_top);

	chip_top(sc_core::sc_module_name name, spk_chip *c, double clock_mhz)
		: sc_core::sc_module(name), tiles_(spk_chip_engine_tiles(c)),
		  net_("noc", clk_, tiles_), units_(tiles_), nis_(tiles_), wires_(tiles_),
		  rtl_units_(rtl_blocks & SPK_RTL_UNITS), rtl_tiles_(rtl_tiles)
	{
		double half = std::llround(5e5 / clock_mhz);	// ps (resolution 1 ps)

		clk_.period = 2 * (uint64_t)(half < 1 ? 1 : half);
		for (uint32_t t = 0; t < tiles_; t++) {
			void *m = spk_chip_engine_unit(c, t);
			const spk_unit_port *cp = spk_chip_engine_port(c, t);
			enum spk_tile_kind k = spk_chip_engine_kind(c, t);
			std::string n = tile_name(t, spk_image_tile_kind_name(k));
			tile_wires *w;
			unit *u = nullptr;

			kinds_.push_back(m == nullptr ? -1 : (int)k);
			if (m == nullptr)
				continue;
			// a unit in RTL (--rtl), else the C model's wrapper
			u = spk_rtl::make_unit(in_rtl(t) ? rtl_units_ : 0, k, n.c_str(), clk_, *this,
					       m, cp,
					       k == SPK_TILE_ENCODER || k == SPK_TILE_READOUT, t,
					       *spk_chip_engine_arch(c));
			// or, on the tile of --record-ports, the C model's with its ports recorded
			if (u == nullptr)
				u = spk_rtl::make_recorder(k, n.c_str(), clk_, *this, m, cp,
							   k == SPK_TILE_ENCODER ||
								   k == SPK_TILE_READOUT, t);
			if (u == nullptr) {
				switch (k) {
				case SPK_TILE_CORE:
					u = new core(n.c_str(), clk_, *this, m, cp, false);
					break;
				case SPK_TILE_ATTENTION:
					u = new attn(n.c_str(), clk_, *this, m, cp, false);
					break;
				case SPK_TILE_ENCODER:
					u = new encoder(n.c_str(), clk_, *this, m, cp, true);
					break;
				case SPK_TILE_READOUT:
					u = new readout(n.c_str(), clk_, *this, m, cp, true);
					break;
				}
			}
			units_[t].reset(u);
			nis_[t].reset(new ni(tile_name(t, "ni").c_str(), net_, t));
			wires_[t].reset(w = new tile_wires());
			nis_[t]->rx_head(w->rx_head);
			nis_[t]->rx_body(w->rx_body);
			nis_[t]->rx_value(w->rx_value);
			nis_[t]->rx_id(w->rx_id);
			nis_[t]->rx_valid(w->rx_valid);
			nis_[t]->credit(w->credit);
			nis_[t]->set_rx_event(&u->rx_event);
			nis_[t]->set_wake_event(&u->wake);
			u->rx_head(w->rx_head);
			u->rx_body(w->rx_body);
			u->rx_value(w->rx_value);
			u->rx_id(w->rx_id);
			u->rx_valid(w->rx_valid);
			u->credit(w->credit);
			u->tx(*nis_[t]);
			net_.attach(t, nis_[t].get());
		}
		SC_METHOD(control);
		sensitive << control_;
		dont_initialize();
	}

	// Whether chip c has the layout these modules were built for.
	bool fits(spk_chip *c) const
	{
		if (spk_chip_engine_tiles(c) != tiles_ ||
		    (rtl_blocks & SPK_RTL_UNITS) != rtl_units_ || rtl_tiles != rtl_tiles_)
			return false;
		for (uint32_t t = 0; t < tiles_; t++) {
			int k = spk_chip_engine_unit(c, t) == nullptr ? -1 :
				(int)spk_chip_engine_kind(c, t);

			if (k != kinds_[t])
				return false;
		}
		return true;
	}

	int run(spk_chip *c, const uint8_t *pixels, uint32_t n, spk_chip_result *res, char *err,
		size_t errlen)
	{
		uint32_t n_enc;
		const uint32_t *enc;
		int rc;

		chip_ = c;
		pixels_ = pixels;
		rc_ = 0;
		finished_ = false;
		last_x_ = 0;
		evals_ = 0;
		// cycle 0 one period from now: everything of the run is a timed notification
		clk_.origin = sc_core::sc_time_stamp().value() + clk_.period;
		for (uint32_t t = 0; t < tiles_; t++)
			if (units_[t]) {
				units_[t]->restart(spk_chip_engine_unit(c, t),
						   spk_chip_engine_port(c, t));
				nis_[t]->restart();
				if (units_[t]->failure() != nullptr) {
					snprintf(err, errlen, "%s", units_[t]->failure());
					return -EINVAL;
				}
				if ((rc = units_[t]->attach(c, t, pixels, n)) < 0)
					return rc;
			}
		rc = spk_chip_engine_begin(c, pixels, n, res);
		if (rc != 0)
			return rc > 0 ? 0 : rc;
		if (rtl_blocks & SPK_RTL_NOC) {
			std::string why;

			rnet_ = spk_rtl::rtl_noc::create(*spk_chip_engine_arch(c),
							 rtl_wave.empty() ? nullptr : rtl_wave.c_str(),
							 rtl_wave_from, rtl_wave_to, why);
			if (!rnet_) {
				snprintf(err, errlen, "--rtl noc: %s", why.c_str());
				return -EINVAL;
			}
			net_.start(rnet_.get());
		} else {
			cnet_.reset(new c_network(spk_chip_engine_noc(c)));
			net_.start(cnet_.get());
		}
		enc = spk_chip_engine_encoders(c, &n_enc);
		for (uint32_t k = 0; k < n_enc; k++)
			units_[enc[k]]->wake_at(0);
		if (uint64_t mc = spk_chip_engine_max_cycles(c); mc != 0)
			// the watchdog: up to the start of cycle mc (cycle 0 is one period from now)
			sc_core::sc_start(sc_core::sc_time((double)(mc + 1) * (double)clk_.period,
							   sc_core::SC_PS),
					  sc_core::SC_EXIT_ON_STARVATION);
		else
			sc_core::sc_start();
		spk_chip_engine_add_evals(c, evals_);
		for (uint32_t t = 0; t < tiles_; t++) {
			if (!units_[t])
				continue;
			if (units_[t]->failure() != nullptr) {
				snprintf(err, errlen, "%s", units_[t]->failure());
				return -EPROTO;
			}
			if ((rc = units_[t]->finish(c, t)) < 0)
				return rc;
		}
		if (rnet_) {
			spk_noc_stats st;

			if (rnet_->failure() != nullptr) {
				snprintf(err, errlen, "%s", rnet_->failure());
				stop_all();
				rnet_.reset();
				return -EPROTO;
			}
			rnet_->get_stats(&st);
			rc = spk_chip_engine_set_noc_counts(c, &st, rnet_->link_counts(),
							    rnet_->ni_refused());
			rnet_.reset();	// closes the waveform file
			if (rc < 0)
				return rc;
		}
		if (!finished_) {
			// work still scheduled (beyond the watchdog's window): stopped by it; none: a
			// deadlock
			bool pending = sc_core::sc_pending_activity();

			stop_all();
			if (spk_chip_engine_max_cycles(c) != 0 && pending)
				return spk_chip_engine_timeout(c, err, errlen);
			return spk_chip_engine_deadlock(c, last_x_, err, errlen);
		}
		return rc_;
	}

	void evaluated(uint64_t x, bool feeds_control) override
	{
		evals_++;
		last_x_ = x;
		if (feeds_control)
			control_.notify(sc_core::SC_ZERO_TIME);
	}

private:
	// Delta 1 of cycle x (see the top comment).
	void control()
	{
		uint64_t x = clk_.cycle();
		bool fed;
		int rc = spk_chip_engine_after_cycle(chip_, pixels_, x, &fed);

		if (rc != 0) {
			rc_ = rc < 0 ? rc : 0;
			finished_ = true;
			net_.sync();	// the network's clock at x, as the native loop leaves it
			stop_all();
			return;
		}
		if (fed) {
			uint32_t n_enc;
			const uint32_t *enc = spk_chip_engine_encoders(chip_, &n_enc);

			for (uint32_t k = 0; k < n_enc; k++)
				units_[enc[k]]->wake_at(x + 1);
		}
	}

	// Nothing more is scheduled: sc_start() returns at the end of this delta.
	void stop_all()
	{
		net_.stop();
		control_.cancel();
		for (auto &u : units_)
			if (u)
				u->stop();
	}

	uint32_t tiles_;
	clock clk_;
	noc net_;
	std::unique_ptr<c_network> cnet_;
	std::unique_ptr<spk_rtl::rtl_noc> rnet_;
	std::vector<std::unique_ptr<unit>> units_;
	std::vector<std::unique_ptr<ni>> nis_;
	std::vector<std::unique_ptr<tile_wires>> wires_;
	std::vector<int> kinds_;	// per tile: kind, or -1 unused
	unsigned rtl_units_;		// the unit kinds built in RTL (SPK_RTL_*)
	std::vector<uint32_t> rtl_tiles_;	// on these tiles (empty: all)

	bool in_rtl(uint32_t t) const
	{
		return rtl_tiles_.empty() ||
		       std::binary_search(rtl_tiles_.begin(), rtl_tiles_.end(), t);
	}
	sc_core::sc_event control_;
	spk_chip *chip_ = nullptr;
	const uint8_t *pixels_ = nullptr;
	int rc_ = 0;
	bool finished_ = false;
	uint64_t last_x_ = 0;
	uint64_t evals_ = 0;
};

} // namespace spk_sc

namespace {

// The process's one elaboration (see sc_chip.h); never destroyed.
spk_sc::chip_top *the_top;

} // namespace

extern "C" void spk_chip_systemc_set_rtl(unsigned blocks, const char *wave, uint64_t wave_from,
					 uint64_t wave_to)
{
	spk_sc::rtl_blocks = blocks;
	spk_sc::rtl_wave = wave != nullptr ? wave : "";
	spk_sc::rtl_wave_from = wave_from;
	spk_sc::rtl_wave_to = wave_to;
}

extern "C" void spk_chip_systemc_set_rtl_tiles(const uint32_t *tiles, uint32_t n)
{
	spk_sc::rtl_tiles.assign(tiles, tiles + n);
}

extern "C" bool spk_chip_systemc_byo_core(uint32_t *crc)
{
	return spk_rtl::byo_core(crc);
}

extern "C" bool spk_chip_systemc_rtl_tile(uint32_t t)
{
	return spk_sc::rtl_tiles.empty() ||
	       std::binary_search(spk_sc::rtl_tiles.begin(), spk_sc::rtl_tiles.end(), t);
}

extern "C" int spk_chip_systemc_rtl_check(const struct spk_arch *a, unsigned blocks, char *err,
					  size_t errlen)
{
	std::string why;

	if ((blocks & SPK_RTL_NOC) && !spk_rtl::rtl_noc::check(*a, why)) {
		snprintf(err, errlen, "%s", why.c_str());
		return -EINVAL;
	}
	if (!spk_rtl::units_check(*a, blocks, why)) {
		snprintf(err, errlen, "%s", why.c_str());
		return -EINVAL;
	}
	return 0;
}

extern "C" int spk_chip_run_systemc(struct spk_chip *c, const uint8_t *pixels, uint32_t n,
				    struct spk_chip_result *res, char *err, size_t errlen)
{
	if (the_top == nullptr) {
		setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
		try {
			the_top = new spk_sc::chip_top("chip", c, spk_chip_engine_clock_mhz(c));
		} catch (const std::bad_alloc &) {
			snprintf(err, errlen, "out of memory for the SystemC chip");
			return -ENOMEM;
		}
	} else if (!the_top->fits(c)) {
		snprintf(err, errlen, "the SystemC engine runs chips of one layout per process, and "
			 "this chip's differs from the first one's");
		return -EBUSY;
	}
	return the_top->run(c, pixels, n, res, err, errlen);
}
