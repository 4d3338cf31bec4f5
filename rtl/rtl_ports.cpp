// rtl_ports.cpp — recorded port traffic (see rtl_ports.h): the recorder around a C model's
// module of the SystemC engine, and `spikechip rtl replay`, which plays a record into the
// Verilated unit of this build and compares every output in every cycle.
#include "config.h"

// the Verilated models before SystemC (as rtl_units.cpp)
#include "Vattn.h"
#include "Vcore.h"
#include "spk_noc_pkg.h"

#include <verilated.h>

#include "rtl/rtl_ports.h"
#include "rtl/rtl_units.h"
#include "rtl/vl_bits.h"

extern "C" {
#include "rtl/rtl_params.h"
#include "sim/attn.h"
#include "sim/core.h"
#include "util/outfile.h"
#include "util/util.h"
}

#include <getopt.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace spk_rtl {

namespace {

const char kMagic[] = "spikechip-ports 1";

// --- recording ------------------------------------------------------------------------------

struct record_state {
	bool on = false;
	uint32_t tile = 0;
	spk_outfile of{};
	std::string failure;	// the first reason the record is not valid
} rec;

// What the C model did in one cycle (one or more evaluations in it, merged).
struct cycle_rec {
	bool open = false;
	uint64_t x = 0;
	bool rx = false;
	spk_packet rxp{};
	unsigned offers = 0;
	spk_packet tx{};
	bool ready = false;
	uint32_t credit = 0;
	std::vector<uint32_t> spikes;	// pop, step, neuron
};

// A counter of the C model's statistics, named as the RTL's output port without "_o".
struct counter {
	const char *name;
	uint64_t value;
};

std::vector<counter> core_counters(const spk_core_stats &s)
{
	return {
		{ "sops", s.ev.sops }, { "graded_adds", s.ev.graded_adds },
		{ "neuron_updates", s.ev.neuron_updates }, { "packets_out", s.ev.packets_out },
		{ "packets_in", s.packets_in }, { "spikes_in", s.spikes_in },
		{ "graded_in", s.graded_in }, { "tokens_in", s.tokens_in },
		{ "releases_in", s.releases_in }, { "receive_busy", s.receive_busy },
		{ "fires", s.fires }, { "fire_cycles", s.fire_cycles },
		{ "fire_stalls", s.fire_stalls }, { "spikes_out", s.spikes_out },
		{ "send_refused", s.send_refused }, { "graded_clamped", s.graded_clamped },
		{ "fifo_peak", s.fifo_peak }, { "queue_peak", s.queue_peak },
	};
}

std::vector<counter> attn_counters(const spk_attn_stats &s)
{
	return {
		{ "attention_ops", s.ev.attention_ops }, { "packets_out", s.ev.packets_out },
		{ "packets_in", s.packets_in }, { "spikes_in", s.spikes_in },
		{ "tokens_in", s.tokens_in }, { "releases_in", s.releases_in },
		{ "receive_busy", s.receive_busy }, { "steps", s.steps },
		{ "compute_cycles", s.compute_cycles }, { "emit_cycles", s.emit_cycles },
		{ "emit_stalls", s.emit_stalls }, { "outputs", s.outputs },
		{ "send_refused", s.send_refused }, { "counter_overflows", s.counter_overflows },
		{ "fifo_peak", s.fifo_peak }, { "queue_peak", s.queue_peak },
	};
}

// Base is the C model's module (spk_sc::core or spk_sc::attn), K its kind.
template <class Base, spk_tile_kind K>
class recorder : public Base {
public:
	recorder(const char *name, const spk_sc::clock &clk, spk_sc::unit_observer &obs,
		 void *model, const spk_unit_port *chip_port, bool feeds_control, uint32_t tile)
		: Base(name, clk, obs, model, chip_port, feeds_control), tile_(tile)
	{
		std::fprintf(rec.of.f, "%s\nunit %s tile %u\nbuild %s\n", kMagic,
			     spk_image_tile_kind_name(K), tile, build_id(K).c_str());
	}

	void restart(void *model, const spk_unit_port *chip_port) override
	{
		std::string why;

		close_cycle();
		Base::restart(model, chip_port);
		std::fprintf(rec.of.f, "run %u\n", runs_++);
		if (load_writes(K, model, write_line, nullptr, why) != 0 && rec.failure.empty())
			rec.failure = "tile " + std::to_string(tile_) + ": " + why +
				      " (the RTL this build links)";
		std::fprintf(rec.of.f, "go\n");
	}

	int finish(struct spk_chip *c, uint32_t tile) override
	{
		std::vector<counter> cs;

		close_cycle();
		if (K == SPK_TILE_CORE) {
			spk_core_stats st;

			spk_core_get_stats(static_cast<spk_core *>(this->model_), &st);
			cs = core_counters(st);
		} else {
			spk_attn_stats st;

			spk_attn_get_stats(static_cast<spk_attn *>(this->model_), &st);
			cs = attn_counters(st);
		}
		std::fprintf(rec.of.f, "stats");
		for (const counter &k : cs)
			std::fprintf(rec.of.f, " %s=%" PRIu64, k.name, k.value);
		std::fprintf(rec.of.f, "\n");
		return Base::finish(c, tile);
	}

protected:
	void deliver(const spk_packet &p, uint64_t x) override
	{
		begin(x);
		cur_.rx = true;
		cur_.rxp = p;
		Base::deliver(p, x);
	}

	void eval(uint64_t x, const spk_unit_port *port) override
	{
		spk_unit_port mine = { r_send, r_credit, port->spike != nullptr ? r_spike : nullptr,
				       this, nullptr };

		begin(x);
		inner_ = port;
		Base::eval(x, &mine);
	}

private:
	static void write_line(void *, uint32_t addr, uint64_t data)
	{
		std::fprintf(rec.of.f, "l %" PRIx32 " %" PRIx64 "\n", addr, data);
	}

	static int r_send(void *ctx, const spk_packet *p)
	{
		recorder *r = static_cast<recorder *>(ctx);
		int rc = r->inner_->send(r->inner_->ctx, p);

		r->cur_.offers++;
		r->cur_.tx = *p;
		r->cur_.ready = rc == 0;
		return rc;
	}

	static void r_credit(void *ctx, uint32_t flits)
	{
		recorder *r = static_cast<recorder *>(ctx);

		r->cur_.credit += flits;
		if (r->inner_->credit != nullptr)
			r->inner_->credit(r->inner_->ctx, flits);
	}

	static void r_spike(void *ctx, uint32_t pop, uint64_t step, uint32_t neuron)
	{
		recorder *r = static_cast<recorder *>(ctx);

		r->cur_.spikes.push_back(pop);
		r->cur_.spikes.push_back((uint32_t)step);
		r->cur_.spikes.push_back(neuron);
		r->inner_->spike(r->inner_->ctx, pop, step, neuron);
	}

	void begin(uint64_t x)
	{
		if (cur_.open && cur_.x == x)
			return;
		close_cycle();
		cur_.open = true;
		cur_.x = x;
	}

	// One line for the cycle: c X [r kind tag axon value] [o kind mc dst tag axon value ready]
	// [f flits] [s pop step neuron]...
	void close_cycle()
	{
		FILE *f = rec.of.f;
		const cycle_rec &c = cur_;

		if (!c.open)
			return;
		std::fprintf(f, "c %" PRIu64, c.x);
		if (c.rx)
			std::fprintf(f, " r %u %u %" PRIu32 " %" PRId32, c.rxp.kind, c.rxp.tag, c.rxp.axon,
				     c.rxp.value);
		if (c.offers > 0)
			std::fprintf(f, " o %u %" PRIu32 " %" PRIu32 " %u %" PRIu32 " %" PRId32 " %d",
				     c.tx.kind, c.tx.mc, c.tx.dst, c.tx.tag, c.tx.axon, c.tx.value,
				     c.ready);
		if (c.credit != 0)
			std::fprintf(f, " f %" PRIu32, c.credit);
		for (size_t i = 0; i < c.spikes.size(); i += 3)
			std::fprintf(f, " s %" PRIu32 " %" PRIu32 " %" PRIu32, c.spikes[i],
				     c.spikes[i + 1], c.spikes[i + 2]);
		std::fputc('\n', f);
		// The RTL offers one packet per cycle: a model that offered twice in one cycle (a
		// refusal, then a second evaluation in the same cycle) cannot be replayed.
		if (c.offers > 1 && rec.failure.empty())
			rec.failure = "tile " + std::to_string(tile_) + ": two offers in cycle " +
				      std::to_string(c.x) + ": not replayable";
		cur_ = cycle_rec();
	}

	uint32_t tile_;
	unsigned runs_ = 0;
	cycle_rec cur_;
	const spk_unit_port *inner_ = nullptr;
};

} // namespace

spk_sc::unit *make_recorder(enum spk_tile_kind k, const char *name, const spk_sc::clock &clk,
			    spk_sc::unit_observer &obs, void *model,
			    const spk_unit_port *chip_port, bool feeds_control, uint32_t tile)
{
	if (!rec.on || tile != rec.tile)
		return nullptr;
	if (k == SPK_TILE_CORE)
		return new recorder<spk_sc::core, SPK_TILE_CORE>(name, clk, obs, model, chip_port,
								  feeds_control, tile);
	if (k == SPK_TILE_ATTENTION)
		return new recorder<spk_sc::attn, SPK_TILE_ATTENTION>(name, clk, obs, model,
								       chip_port, feeds_control,
								       tile);
	if (rec.failure.empty())
		rec.failure = "tile " + std::to_string(tile) + " is the " +
			      spk_image_tile_kind_name(k) +
			      ": port records are of synapse cores and attention units";
	return nullptr;
}

// --- replay ---------------------------------------------------------------------------------

namespace {

// The record being read: lines, their numbers, the last few for a divergence's report.
struct reader {
	FILE *f = nullptr;
	std::string path;
	uint64_t line_no = 0;
	std::string line;
	std::deque<std::string> recent;

	bool next()
	{
		char buf[4096];

		line.clear();
		for (;;) {
			if (std::fgets(buf, sizeof(buf), f) == nullptr)
				return !line.empty();
			line += buf;
			if (!line.empty() && line.back() == '\n') {
				line.pop_back();
				break;
			}
		}
		line_no++;
		recent.push_back(line);
		if (recent.size() > 6)
			recent.pop_front();
		return true;
	}
};

struct bad_record {
	std::string what;
};

// Splits a line into numbers after its keyword; throws bad_record on anything else.
std::vector<std::string> words(const std::string &s)
{
	std::vector<std::string> w;
	size_t i = 0;

	while (i < s.size()) {
		size_t j = s.find(' ', i);

		if (j == std::string::npos)
			j = s.size();
		if (j > i)
			w.push_back(s.substr(i, j - i));
		i = j + 1;
	}
	return w;
}

uint64_t num(const std::string &s, int base, bool is_signed = false)
{
	char *end = nullptr;
	uint64_t v;

	errno = 0;
	if (is_signed)
		v = (uint64_t)(int64_t)std::strtoll(s.c_str(), &end, base);
	else
		v = std::strtoull(s.c_str(), &end, base);
	if (s.empty() || *end != '\0' || errno != 0 || (!is_signed && s[0] == '-'))
		throw bad_record{ "'" + s + "' is not a number" };
	return v;
}

struct divergence {
	uint64_t cycle;
	std::string signal;
	uint64_t expected, got;
};

// A packet the C model offered, as the RTL's tx port shows it.
struct offer {
	unsigned kind, tag;
	uint32_t mc, dst, axon;
	int32_t value;
};

struct totals {
	uint64_t runs = 0, cycles = 0, evaluated = 0, between = 0, loads = 0, delivered = 0;
	uint64_t offers = 0, refused = 0, spikes = 0, counters = 0;
};

// Replays the runs of a record into a Verilated unit V of kind K.
template <class V, spk_tile_kind K>
class replayer {
public:
	explicit replayer(reader &r) : r_(r), np_(SPK_NOC_PKG_INIT)
	{
		ctx_.reset(new VerilatedContext);
		v_.reset(new V(ctx_.get(), "replay"));
	}

	// 0 at the end of the record; throws bad_record or divergence.
	void run()
	{
		bool in_run = false, running = false, ended = false;

		while (r_.next()) {
			std::vector<std::string> w = words(r_.line);

			if (w.empty())
				throw bad_record{ "an empty line" };
			const std::string &k = w[0];

			if (k == "run") {
				if (in_run && !ended)
					throw bad_record{ "a run without its stats line" };
				reset();
				in_run = true;
				running = ended = false;
				tot_.runs++;
			} else if (k == "l" && in_run && !running) {
				if (w.size() != 3)
					throw bad_record{ "a load line is 'l ADDRESS DATA' (hex)" };
				load((uint32_t)num(w[1], 16), num(w[2], 16));
			} else if (k == "go" && in_run && !running) {
				go();
				running = true;
			} else if (k == "c" && running && !ended) {
				cycle(w);
			} else if (k == "stats" && running && !ended) {
				stats(w);
				ended = true;
			} else if (k == "end" && (!in_run || ended)) {
				if (r_.next())
					throw bad_record{ "lines after 'end'" };
				return;
			} else {
				throw bad_record{ "'" + k + "' is not expected here" };
			}
		}
		throw bad_record{ "the record ends without its 'end' line (truncated?)" };
	}

	const totals &tot() const { return tot_; }

private:
	void reset()
	{
		V &v = *v_;

		v.clk_i = 0;
		v.rx_valid_i = 0;
		v.tx_ready_i = 0;
		v.load_we_i = 0;
		v.rst_ni = 1;
		v.eval();
		v.rst_ni = 0;
		v.eval();
		v.rst_ni = 1;
		v.eval();
		cyc_ = 0;
		pending_ = false;
		last_x_ = 0;
		any_cycle_ = false;
	}

	void load(uint32_t addr, uint64_t data)
	{
		V &v = *v_;

		v.load_we_i = 1;
		v.load_addr_i = addr;
		v.load_data_i = data;
		v.clk_i = 1;
		v.eval();
		v.clk_i = 0;
		v.eval();
		v.load_we_i = 0;
		tot_.loads++;
	}

	// After the loads: the core's reset clears the engines (not the tables) that ran on a
	// half-loaded configuration, as the co-simulation does.
	void go()
	{
		V &v = *v_;

		if (K == SPK_TILE_CORE) {
			v.rst_ni = 0;
			v.eval();
			v.rst_ni = 1;
			v.eval();
		}
	}

	uint64_t tile_addr(uint32_t t) const
	{
		return spk_rtl_tile_addr(&np_, t % np_.mesh_x, t / np_.mesh_x);
	}

	void check(uint64_t x, const char *signal, uint64_t expected, uint64_t got) const
	{
		if (expected != got)
			throw divergence{ x, signal, expected, got };
	}

	void check_offer(uint64_t x, const offer &o) const
	{
		const V &v = *v_;

		check(x, "tx_valid_o", 1, v.tx_valid_o);
		check(x, "tx_kind_o", o.kind, v.tx_kind_o);
		check(x, "tx_mc_o", o.mc != 0, v.tx_mc_o);
		check(x, "tx_addr_o", o.mc != 0 ? o.mc : tile_addr(o.dst), v.tx_addr_o);
		check(x, "tx_tag_o", o.tag, v.tx_tag_o);
		check(x, "tx_payload_o", o.axon, v.tx_payload_o);
		check(x, "tx_value_o", (uint32_t)o.value, v.tx_value_o);
	}

	// The spikes the RTL fires in this cycle against the C model's (pop, step, neuron) list.
	void check_spikes(uint64_t x, const std::vector<uint32_t> &s);

	// Cycles before x in which the C model was not evaluated: the RTL, if busy, is clocked
	// with nothing arriving and must free nothing and fire nothing. It may offer only while
	// the C model sleeps behind a refused packet (NI wake-ups: it sleeps until the NI can take
	// a packet, so the NI refuses whatever is offered until then, and the C model counts those
	// refusals when it wakes); the RTL may offer something else meanwhile (a release that
	// became due goes first), and the NI refuses it.
	void between(uint64_t x)
	{
		V &v = *v_;
		static const std::vector<uint32_t> none;

		while (cyc_ < x) {
			v.rx_valid_i = 0;
			v.tx_ready_i = 0;
			v.clk_i = 0;
			v.eval();
			if (!v.busy_o) {
				cyc_ = x;
				break;
			}
			if (v.tx_valid_o && !pending_)
				throw divergence{ cyc_, "tx_valid_o (an offer in a cycle the C model was "
					"not evaluated in, with none refused before)", 0, 1 };
			check(cyc_, "rx_credit_o (in a cycle the C model was not evaluated in)", 0,
			      v.rx_credit_o);
			check_spikes(cyc_, none);
			v.clk_i = 1;
			v.eval();
			cyc_++;
			tot_.between++;
		}
	}

	void cycle(const std::vector<std::string> &w)
	{
		V &v = *v_;
		bool rx = false, offered = false, ready = false;
		spk_packet p{};
		offer o{};
		uint32_t credit = 0;
		std::vector<uint32_t> spikes;

		if (w.size() < 2)
			throw bad_record{ "a cycle line is 'c CYCLE ...'" };
		const uint64_t x = num(w[1], 10);
		if (any_cycle_ && x <= last_x_)
			throw bad_record{ "cycle " + std::to_string(x) + " after cycle " +
					  std::to_string(last_x_) + ": cycles ascend" };
		for (size_t i = 2; i < w.size();) {
			const std::string &f = w[i];
			size_t n = f == "r" ? 4 : f == "o" ? 7 : f == "f" ? 1 : f == "s" ? 3 : 0;

			if (n == 0 || i + n + 1 > w.size())
				throw bad_record{ "a cycle line's field '" + f + "' is not r, o, f or s " +
						  "with its numbers" };
			if (f == "r") {
				rx = true;
				p.kind = (uint8_t)num(w[i + 1], 10);
				p.tag = (uint8_t)num(w[i + 2], 10);
				p.axon = (uint32_t)num(w[i + 3], 10);
				p.value = (int32_t)num(w[i + 4], 10, true);
			} else if (f == "o") {
				offered = true;
				o.kind = (unsigned)num(w[i + 1], 10);
				o.mc = (uint32_t)num(w[i + 2], 10);
				o.dst = (uint32_t)num(w[i + 3], 10);
				o.tag = (unsigned)num(w[i + 4], 10);
				o.axon = (uint32_t)num(w[i + 5], 10);
				o.value = (int32_t)num(w[i + 6], 10, true);
				ready = num(w[i + 7], 10) != 0;
			} else if (f == "f") {
				credit = (uint32_t)num(w[i + 1], 10);
			} else {
				for (size_t j = 1; j <= 3; j++)
					spikes.push_back((uint32_t)num(w[i + j], 10));
			}
			i += n + 1;
		}
		between(x);
		any_cycle_ = true;
		last_x_ = x;

		v.rx_valid_i = rx;
		v.rx_kind_i = rx ? p.kind : 0;
		v.rx_tag_i = rx ? p.tag : 0;
		v.rx_axon_i = rx ? p.axon : 0;
		v.rx_value_i = rx ? (uint32_t)p.value : 0;
		v.tx_ready_i = 0;
		v.clk_i = 0;
		v.eval();
		check(x, "tx_valid_o", offered, v.tx_valid_o);
		if (offered) {
			check_offer(x, o);
			v.tx_ready_i = ready;
			pending_ = !ready;
			tot_.offers++;
			tot_.refused += !ready;
		} else {
			pending_ = false;
		}
		check(x, "rx_credit_o", credit, v.rx_credit_o);
		check_spikes(x, spikes);
		v.clk_i = 1;
		v.eval();
		v.rx_valid_i = 0;
		cyc_ = x + 1;
		tot_.evaluated++;
		tot_.delivered += rx;
		tot_.spikes += spikes.size() / 3;
		tot_.cycles = x + 1 > tot_.cycles ? x + 1 : tot_.cycles;
	}

	void stats(const std::vector<std::string> &w)
	{
		for (size_t i = 1; i < w.size(); i++) {
			size_t eq = w[i].find('=');

			if (eq == std::string::npos)
				throw bad_record{ "a stats field is NAME=VALUE" };
			const std::string name = w[i].substr(0, eq);
			uint64_t want = num(w[i].substr(eq + 1), 10), got;

			if (!rtl_counter(name, &got))
				throw bad_record{ "'" + name + "' is not a counter of the RTL " +
						  spk_image_tile_kind_name(K) };
			check(cyc_, ("counter " + name + "_o (at the run's end)").c_str(), want, got);
			tot_.counters++;
		}
	}

	// The RTL's counter ports, named as the record's stats line names them.
	std::vector<counter> rtl_counters() const;

	bool rtl_counter(const std::string &name, uint64_t *v) const
	{
		for (const counter &c : rtl_counters())
			if (name == c.name) {
				*v = c.value;
				return true;
			}
		return false;
	}

	reader &r_;
	spk_rtl_params np_;
	std::unique_ptr<VerilatedContext> ctx_;
	std::unique_ptr<V> v_;
	uint64_t cyc_ = 0, last_x_ = 0;
	bool any_cycle_ = false;
	bool pending_ = false;	// the C model's last offer was refused
	totals tot_;
};

template <>
void replayer<Vcore, SPK_TILE_CORE>::check_spikes(uint64_t x, const std::vector<uint32_t> &s)
{
	const Vcore &v = *v_;
	size_t k = 0;

	for (uint32_t j = 0; j < 32 && (v.spike_o >> j) != 0; j++) {
		if (!((v.spike_o >> j) & 1))
			continue;
		if (k + 3 > s.size())
			throw divergence{ x, "spike_o (spikes fired in this cycle, counted)",
					  s.size() / 3,
					  (uint64_t)__builtin_popcountll((uint64_t)v.spike_o) };
		check(x, "spike_pop_o", s[k], v.spike_pop_o);
		check(x, "spike_step_o", s[k + 1], v.spike_step_o);
		check(x, "spike_neuron_o", s[k + 2], spk_vl::get(v.spike_neuron_o, 32 * j, 32));
		k += 3;
	}
	check(x, "spike_o (spikes fired)", s.size() / 3, k / 3);
}

template <>
void replayer<Vattn, SPK_TILE_ATTENTION>::check_spikes(uint64_t x,
						       const std::vector<uint32_t> &s)
{
	check(x, "spikes (an attention unit fires none)", 0, s.size());
}

template <>
std::vector<counter> replayer<Vcore, SPK_TILE_CORE>::rtl_counters() const
{
	const Vcore &v = *v_;

	return {
		{ "sops", v.sops_o }, { "graded_adds", v.graded_adds_o },
		{ "neuron_updates", v.neuron_updates_o }, { "packets_out", v.packets_out_o },
		{ "packets_in", v.packets_in_o }, { "spikes_in", v.spikes_in_o },
		{ "graded_in", v.graded_in_o }, { "tokens_in", v.tokens_in_o },
		{ "releases_in", v.releases_in_o }, { "receive_busy", v.receive_busy_o },
		{ "fires", v.fires_o }, { "fire_cycles", v.fire_cycles_o },
		{ "fire_stalls", v.fire_stalls_o }, { "spikes_out", v.spikes_out_o },
		{ "send_refused", v.send_refused_o }, { "graded_clamped", v.graded_clamped_o },
		{ "fifo_peak", v.fifo_peak_o }, { "queue_peak", v.queue_peak_o },
	};
}

template <>
std::vector<counter> replayer<Vattn, SPK_TILE_ATTENTION>::rtl_counters() const
{
	const Vattn &v = *v_;

	return {
		{ "attention_ops", v.attention_ops_o }, { "packets_out", v.packets_out_o },
		{ "packets_in", v.packets_in_o }, { "spikes_in", v.spikes_in_o },
		{ "tokens_in", v.tokens_in_o }, { "releases_in", v.releases_in_o },
		{ "receive_busy", v.receive_busy_o }, { "steps", v.steps_o },
		{ "compute_cycles", v.compute_cycles_o }, { "emit_cycles", v.emit_cycles_o },
		{ "emit_stalls", v.emit_stalls_o }, { "outputs", v.outputs_o },
		{ "send_refused", v.send_refused_o }, { "counter_overflows", v.counter_overflows_o },
		{ "fifo_peak", v.fifo_peak_o }, { "queue_peak", v.queue_peak_o },
	};
}

void replay_usage(FILE *f)
{
	std::fprintf(f,
		"usage: spikechip rtl replay FILE\n"
		"\n"
		"Plays a port record (from 'spikechip sim --engine systemc --record-ports TILE FILE')\n"
		"into the Verilated unit this spikechip links (rtl/core.sv, rtl/attn.sv: the chip\n"
		"builds of doc/rtl.md \"Units in the chip\"): its load-port writes, then in every\n"
		"cycle the packet the C model was delivered and the NI's answer, comparing every\n"
		"output (the offered packet, the credits freed, the spikes) in every cycle and the\n"
		"counters at each run's end with what the C model gave (doc/rtl.md \"Recorded port\n"
		"traffic\").\n"
		"\n"
		"options:\n"
		"  -h, --help   this help\n"
		"\n"
		"exit status: 0 every output equal; 1 the RTL diverged (the cycle, the signal, both\n"
		"values and the record's lines before are printed); 2 a bad option or record.\n");
}

void usage(FILE *f)
{
	std::fprintf(f,
		"usage: spikechip rtl replay FILE\n"
		"\n"
		"RTL tools (doc/rtl.md). Commands:\n"
		"  replay   play a port record into the Verilated unit, compare every output\n"
		"\n"
		"'spikechip rtl replay --help' describes it; 'spikechip arch rtl-params' writes the\n"
		"SystemVerilog package of an architecture.\n");
}

template <class V, spk_tile_kind K>
int replay_kind(reader &r, const std::string &header)
{
	replayer<V, K> rp(r);

	try {
		rp.run();
	} catch (const divergence &d) {
		std::fprintf(stderr,
			     "spikechip rtl replay: %s:%" PRIu64 ": the RTL diverged from the C model "
			     "in cycle %" PRIu64 ", signal %s: expected (C model) 0x%" PRIx64 ", got "
			     "(RTL) 0x%" PRIx64 "\nthe record's lines before (the last is this "
			     "cycle's):\n", r.path.c_str(), r.line_no, d.cycle, d.signal.c_str(),
			     d.expected, d.got);
		for (const std::string &l : r.recent)
			std::fprintf(stderr, "  %s\n", l.c_str());
		return SPK_EXIT_FAIL;
	}
	const totals &t = rp.tot();
	std::printf("%s: %s: %" PRIu64 " run%s, %" PRIu64 " cycles replayed (%" PRIu64
		    " evaluated by the C model, %" PRIu64 " more with the RTL busy between them), %"
		    PRIu64 " load writes, %" PRIu64 " packets delivered, %" PRIu64 " offered (%"
		    PRIu64 " refused), %" PRIu64 " spikes\n", r.path.c_str(), header.c_str(), t.runs,
		    t.runs == 1 ? "" : "s", t.evaluated + t.between, t.evaluated, t.between, t.loads,
		    t.delivered, t.offers, t.refused, t.spikes);
	std::printf("every output equal to the C model's in every cycle, %" PRIu64
		    " counters equal at the runs' ends\n", t.counters);
	return SPK_EXIT_OK;
}

int replay_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, nullptr, 'h' },
		{ nullptr, 0, nullptr, 0 },
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, nullptr)) != -1) {
		if (c == 'h') {
			replay_usage(stdout);
			return SPK_EXIT_OK;
		}
		return spk_opt_fail("rtl replay", c, argv[optind - 1]);
	}
	if (argc - optind != 1) {
		spk_error("rtl replay: give one port record FILE; see 'spikechip rtl replay --help'");
		return SPK_EXIT_USAGE;
	}
	reader r;

	r.path = argv[optind];
	r.f = std::fopen(r.path.c_str(), "r");
	if (r.f == nullptr) {
		spk_error("%s: cannot open: %s", r.path.c_str(), std::strerror(errno));
		return SPK_EXIT_USAGE;
	}
	int rc = SPK_EXIT_USAGE;

	try {
		std::vector<std::string> w;
		spk_tile_kind k;

		if (!r.next() || r.line != kMagic)
			throw bad_record{ std::string("not a port record (the first line is not '") +
					  kMagic + "')" };
		if (!r.next() || (w = words(r.line)).size() != 4 || w[0] != "unit" || w[2] != "tile")
			throw bad_record{ "the second line is not 'unit KIND tile T'" };
		if (w[1] == spk_image_tile_kind_name(SPK_TILE_CORE))
			k = SPK_TILE_CORE;
		else if (w[1] == spk_image_tile_kind_name(SPK_TILE_ATTENTION))
			k = SPK_TILE_ATTENTION;
		else
			throw bad_record{ "unit '" + w[1] + "': records are of cores and attention units" };
		const std::string header = w[1] + " of tile " + w[3];

		if (!r.next() || r.line.compare(0, 6, "build ") != 0)
			throw bad_record{ "the third line is not 'build ...'" };
		if (r.line.substr(6) != build_id(k))
			throw bad_record{ "recorded for another RTL build (" + r.line.substr(6) +
					  ") than this spikechip links (" + build_id(k) + ")" };
		rc = k == SPK_TILE_CORE ? replay_kind<Vcore, SPK_TILE_CORE>(r, header)
					: replay_kind<Vattn, SPK_TILE_ATTENTION>(r, header);
	} catch (const bad_record &b) {
		spk_error("%s:%" PRIu64 ": %s", r.path.c_str(), r.line_no, b.what.c_str());
		rc = SPK_EXIT_USAGE;
	}
	std::fclose(r.f);
	return rc;
}

} // namespace

} // namespace spk_rtl

extern "C" int spk_rtl_record_start(uint32_t tile, const char *path, char *err, size_t errlen)
{
	using spk_rtl::rec;

	if (spk_outfile_open(&rec.of, path, err, errlen) < 0)
		return -1;
	rec.on = true;
	rec.tile = tile;
	rec.failure.clear();
	return 0;
}

extern "C" int spk_rtl_record_finish(bool ok, char *err, size_t errlen)
{
	using spk_rtl::rec;

	if (!rec.on)
		return 0;
	rec.on = false;
	if (!ok || !rec.failure.empty()) {
		spk_outfile_abort(&rec.of);
		if (ok) {
			std::snprintf(err, errlen, "--record-ports: %s", rec.failure.c_str());
			return -1;
		}
		return 0;
	}
	std::fprintf(rec.of.f, "end\n");
	return spk_outfile_commit(&rec.of, err, errlen) < 0 ? -1 : 0;
}

extern "C" int spk_rtl_main(int argc, char **argv)
{
	if (argc < 2) {
		spk_rtl::usage(stderr);
		return SPK_EXIT_USAGE;
	}
	if (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
		spk_rtl::usage(stdout);
		return SPK_EXIT_OK;
	}
	if (!std::strcmp(argv[1], "replay"))
		return spk_rtl::replay_main(argc - 1, argv + 1);
	spk_error("rtl: '%s' is not an rtl command (replay); see 'spikechip rtl --help'", argv[1]);
	return SPK_EXIT_USAGE;
}
