// rtl_units.cpp — the units in RTL inside the SystemC engine (see rtl_units.h): today the
// readout (rtl/readout.sv).
#include "config.h"

// the Verilated models before SystemC (rtl_units.h): Verilator's time then stays its own
#include "Vreadout.h"
#include "spk_noc_pkg.h"

#include <verilated.h>

#include "rtl/rtl_units.h"

extern "C" {
#include "rtl/readout_load.h"
#include "rtl/rtl_params.h"
#include "sim/chip_engine.h"
#include "sim/readout.h"
#include "sim/systemc/sc_chip.h"
}

#include <cassert>
#include <cerrno>
#include <memory>
#include <vector>

#ifndef RO_FIFO
#error "RO_*: the chip's readout parameters (rtl/readout.mk)"
#endif

namespace spk_rtl {

namespace {

// The parameters the chip's RTL readout was built with (rtl/readout.mk, ro_chip).
const spk_rtl_readout_params kReadout = { RO_FIFO, RO_ROUTES, RO_MEANS, RO_CHANNELS, RO_CLASSES,
					  RO_NU, RO_ADDERS, RO_MB };

spk_rtl_params built_noc()
{
	spk_rtl_params p = SPK_NOC_PKG_INIT;

	return p;
}

// The NoC fields a unit's ports are built for (the package's widths) against the chip's.
bool noc_fits(const spk_arch &a, std::string &why)
{
	spk_rtl_params want, have = built_noc();
	char err[512];

	if (spk_rtl_params_from_arch(&want, &a, have.max_groups, err, sizeof(err)) < 0) {
		why = err;
		return false;
	}
	struct {
		const char *name;
		uint32_t want, have;
	} cmp[] = {
		{ "[chip] mesh_x", want.mesh_x, have.mesh_x },
		{ "[chip] mesh_y", want.mesh_y, have.mesh_y },
		{ "[noc] flit_bits", want.flit_bits, have.flit_bits },
		{ "[noc] multicast (1: tree)", want.multicast, have.multicast },
		{ "[core] input_fifo", want.eject_flits, have.eject_flits },
	};
	for (const auto &c : cmp)
		if (c.want != c.have) {
			why = std::string(c.name) + " = " + std::to_string(c.want) +
			      ": the RTL units were built for " + std::to_string(c.have);
			return false;
		}
	return true;
}

// The readout in RTL.
class rtl_readout : public spk_sc::unit {
public:
	rtl_readout(const char *name, const spk_sc::clock &clk, spk_sc::unit_observer &obs,
		    void *model, const spk_unit_port *chip_port, bool feeds_control, uint32_t tile)
		: spk_sc::unit(name, clk, obs, model, chip_port, feeds_control), tile_(tile),
		  np_(built_noc())
	{
		ctx_.reset(new VerilatedContext);
		top_.reset(new Vreadout(ctx_.get(), (std::string(name) + "_rtl").c_str()));
		load(model);
	}

	void restart(void *model, const spk_unit_port *chip_port) override
	{
		spk_sc::unit::restart(model, chip_port);
		load(model);
	}

	const char *failure() const override { return failure_.empty() ? nullptr : failure_.c_str(); }

	int finish(struct spk_chip *c, uint32_t tile) override
	{
		spk_readout_stats st{};

		st.packets_in = top_->packets_in_o;
		st.graded_in = top_->graded_in_o;
		st.tokens_in = top_->tokens_in_o;
		st.fires = top_->fires_o;
		st.fire_cycles = top_->fire_cycles_o;
		st.head_cycles = top_->head_cycles_o;
		st.images = top_->images_o;
		st.send_refused = top_->send_refused_o;
		st.fifo_peak = top_->fifo_peak_o;
		st.ev.sops = top_->sops_o;
		st.ev.graded_adds = top_->graded_in_o;
		st.ev.neuron_updates = top_->neuron_updates_o;
		st.ev.packets_out = top_->packets_out_o;
		return spk_chip_engine_set_unit_stats(c, tile, &st);
	}

protected:
	void deliver(const spk_packet &p, uint64_t x) override
	{
		assert(!has_rx_);
		rx_ = p;
		rx_x_ = x;
		has_rx_ = true;
	}

	void eval(uint64_t x, const spk_unit_port *port) override
	{
		Vreadout &v = *top_;

		assert(x >= cyc_);
		if (x > cyc_) {
			// the cycles in between: nothing arrived and the unit was not busy
			assert(!v.busy_o);
			cyc_ = x;
		}
		bool rx = has_rx_ && rx_x_ == x;

		v.rx_valid_i = rx;
		v.rx_kind_i = rx ? rx_.kind : 0;
		v.rx_tag_i = rx ? rx_.tag : 0;
		v.rx_axon_i = rx ? rx_.axon : 0;
		v.rx_value_i = rx ? (uint32_t)rx_.value : 0;
		if (rx)
			has_rx_ = false;
		v.tx_ready_i = 0;
		v.eval();
		if (v.tx_valid_o) {
			spk_packet pk{};
			uint32_t ymask = (1u << np_.y_bits) - 1;

			pk.src = tile_;
			pk.dst = (v.tx_addr_o & ymask) * np_.mesh_x + (v.tx_addr_o >> np_.y_bits);
			pk.kind = v.tx_kind_o;
			pk.flits = pk.kind == SPK_PACKET_GRADED ? (uint16_t)np_.graded_flits : 1;
			pk.tag = v.tx_tag_o;
			pk.axon = v.tx_payload_o;
			pk.value = (int32_t)v.tx_value_o;
			v.tx_ready_i = port->send(port->ctx, &pk) == 0;
			v.eval();
		}
		if (v.rx_credit_o != 0 && port->credit != nullptr)
			port->credit(port->ctx, v.rx_credit_o);
		if (v.spike_valid_o && v.spike_mask_o != 0 && port->spike != nullptr)
			for (uint32_t l = 0; l < kReadout.neuron_updates; l++)
				if (v.spike_mask_o >> l & 1)
					port->spike(port->ctx, pop_[v.spike_mean_o], v.spike_step_o,
						    v.spike_c0_o + l);
		if (v.class_valid_o && class_out_ != nullptr) {
			for (uint32_t k = 0; k < scores_.size(); k++) {
				v.score_sel_i = k;
				v.eval();
				scores_[k] = (int64_t)v.score_o;
			}
			class_out_(class_ctx_, v.class_image_o, v.class_o, x, scores_.data());
		}
		v.clk_i = 1;
		v.eval();
		v.clk_i = 0;
		v.rx_valid_i = 0;
		v.eval();
		cyc_ = x + 1;
	}

	uint64_t next_cycle() const override { return top_->busy_o ? cyc_ : UINT64_MAX; }

private:
	static void write(void *ctx, uint32_t addr, uint64_t data)
	{
		Vreadout &v = *static_cast<Vreadout *>(ctx);

		v.load_we_i = 1;
		v.load_addr_i = addr;
		v.load_data_i = data;
		v.clk_i = 1;
		v.eval();
		v.clk_i = 0;
		v.eval();
		v.load_we_i = 0;
	}

	// Reset, then the configuration of the C model through the load port (held in reset).
	void load(void *model)
	{
		Vreadout &v = *top_;
		spk_readout_config cfg;
		char err[256];

		spk_readout_get_config(static_cast<spk_readout *>(model), &cfg);
		failure_.clear();
		v.clk_i = 0;
		v.rx_valid_i = 0;
		v.tx_ready_i = 0;
		v.load_we_i = 0;
		v.rst_ni = 0;
		v.eval();
		if (spk_rtl_readout_load(&cfg, &kReadout, &np_, write, &v, err, sizeof(err)) != 0)
			failure_ = std::string("--rtl readout: ") + err;
		v.rst_ni = 1;
		v.eval();
		pop_.clear();
		for (uint32_t m = 0; m < cfg.n_means; m++)
			pop_.push_back(cfg.means[m].pop);
		scores_.assign(cfg.head != nullptr ? cfg.head->classes : 0, 0);
		class_out_ = cfg.class_out;
		class_ctx_ = cfg.class_ctx;
		cyc_ = 0;
		has_rx_ = false;
	}

	uint32_t tile_;
	spk_rtl_params np_;
	std::unique_ptr<VerilatedContext> ctx_;
	std::unique_ptr<Vreadout> top_;
	std::string failure_;
	std::vector<uint32_t> pop_;
	std::vector<int64_t> scores_;
	spk_readout_class_fn class_out_ = nullptr;
	void *class_ctx_ = nullptr;
	uint64_t cyc_ = 0;
	spk_packet rx_{};
	uint64_t rx_x_ = 0;
	bool has_rx_ = false;
};

} // namespace

bool units_check(const spk_arch &a, unsigned blocks, std::string &why)
{
	if (!(blocks & ~SPK_RTL_NOC))
		return true;
	if (!noc_fits(a, why))
		return false;
	if (blocks & SPK_RTL_READOUT) {
		struct {
			const char *name;
			long want, have;
		} cmp[] = {
			{ "[core] neuron_updates", a.core.neuron_updates, kReadout.neuron_updates },
			{ "[core] adders", a.core.adders, kReadout.adders },
			{ "[core] membrane_bits", a.core.membrane_bits, kReadout.membrane_bits },
		};
		for (const auto &c : cmp)
			if (c.want != c.have) {
				why = std::string(c.name) + " = " + std::to_string(c.want) +
				      ": the RTL readout was built for " + std::to_string(c.have);
				return false;
			}
	}
	return true;
}

spk_sc::unit *make_unit(unsigned blocks, enum spk_tile_kind k, const char *name,
			const spk_sc::clock &clk, spk_sc::unit_observer &obs, void *model,
			const spk_unit_port *chip_port, bool feeds_control, uint32_t tile,
			const spk_arch &a)
{
	(void)a;
	if (k == SPK_TILE_READOUT && (blocks & SPK_RTL_READOUT))
		return new rtl_readout(name, clk, obs, model, chip_port, feeds_control, tile);
	return nullptr;
}

} // namespace spk_rtl
