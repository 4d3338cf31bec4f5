/*
 * sim_report.c — what `spikechip sim` reports (doc/simulator.md, "The report", explains every
 * line and key): the summary of a run (latency, steady-state throughput, accuracy, energy and
 * the paper's formula beside it, the busiest link, unit and NI), then the text report for
 * people and the JSON report for scripts. Only the simulator's own speed differs between
 * runs; everything else is the same bytes for every --jobs N and either engine.
 */
#include "config.h"

#include "sim/sim_cmd.h"
#include "models/ref_report.h"
#include "sim/energy.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* A router's outputs by port number (enum spk_port), as reports name them. */
static const char *const port_names[] = { "local", "east", "west", "north", "south" };

void spk_sim_summarise(struct sim_summary *s, const struct sim_run *r, const struct spk_image *img,
		       const struct spk_arch *a, const struct spk_chip_result *res, uint32_t n)
{
	uint64_t sum = 0;

	s->st = r->total;
	s->n = n;
	s->seg = r->seg;
	s->n_segs = r->n_segs;
	s->jobs = r->jobs;
	s->systemc = r->systemc;
	s->rtl = r->rtl;
	s->rtl_desc = r->rtl_desc;
	s->c_cycles = r->c_cycles;
	s->res = res;
	s->labels = r->labels;
	s->busy = r->busy_sum;
	s->links = r->link_sum;
	s->refused = r->refused_sum;
	s->layers = r->layers_lost || r->layer_sum == NULL ? NULL : r->layer_sum;
	s->arch = a;
	s->refused_tile = 0;
	for (uint32_t t = 1; t < img->n_tiles; t++)
		if (s->refused[t] > s->refused[s->refused_tile])
			s->refused_tile = t;
	s->resume = r->resume;
	s->resumed = r->n_done;
	s->sim_sops = s->st.ev.sops - r->done_sops;
	s->sim_cycles = s->st.cycles - r->done_cycles;
	s->clock_mhz = a->chip.clock_mhz;
	s->lat_min = UINT64_MAX;
	s->lat_max = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t l = res[i].out_cycle - res[i].in_cycle;

		sum += l;
		s->lat_min = l < s->lat_min ? l : s->lat_min;
		s->lat_max = l > s->lat_max ? l : s->lat_max;
	}
	s->lat_mean = (double)sum / n;
	/* steady state: the second halves of the segments (spk_sim_merge_segment) */
	if (r->seg_span_n > 0)
		s->interval = (double)r->seg_span_cycles / r->seg_span_n;
	else
		s->interval = s->lat_mean;
	s->throughput = s->interval > 0 ? a->chip.clock_mhz * 1e6 / s->interval : 0;
	s->paper_pj = spk_sim_paper_pj(&s->st.ev);
	s->core_sop_pj = a->energy.syn_add_pj + img->weight_bits * a->energy.weight_read_pj;
	s->busy_x = (s->st.noc.busiest_link / 5) % img->mesh_x;
	s->busy_y = (s->st.noc.busiest_link / 5) / img->mesh_x;
	s->busy_dir = port_names[s->st.noc.busiest_link % 5];
	s->unit_x = img->tiles[s->st.busiest_tile].x;
	s->unit_y = img->tiles[s->st.busiest_tile].y;
	s->unit_kind = spk_image_tile_kind_name(img->tiles[s->st.busiest_tile].kind);
}

double spk_sim_paper_pj(const struct spk_unit_events *ev)
{
	return SPK_E_MAC_PJ * (double)ev->encoder_macs +
	       SPK_E_AC_PJ * (double)(ev->sops + ev->attention_ops);
}

const char *spk_sim_step_name(const struct spk_image *img, uint32_t i)
{
	const struct spk_image_step *st = &img->steps[i];

	return st->name != NULL && st->name[0] != '\0' ? st->name :
	       spk_image_step_type_name(st->type);
}

void spk_sim_step_energy(struct spk_chip_energy *en, const struct spk_energy_step *s,
			 const struct spk_arch *a)
{
	struct spk_noc_stats noc = { .router_flits = s->router_flits,
				     .link_flits = s->link_flits };

	spk_chip_energy_of(en, &s->ev, &noc, a, 0, 0);
}

void spk_sim_json_layer_keys(struct spk_jsonw *j, const struct spk_image *img, uint32_t i,
			     const struct spk_energy_step *s, const struct spk_arch *a, double n)
{
	struct spk_chip_energy se;

	spk_sim_step_energy(&se, s, a);
	spk_jsonw_key_uint(j, "step", i);
	spk_jsonw_key_str(j, "name", spk_sim_step_name(img, i));
	spk_jsonw_key_str(j, "type", spk_image_step_type_name(img->steps[i].type));
	spk_sim_json_unit_events(j, &s->ev);
	spk_jsonw_key_uint(j, "spikes", s->spikes);
	spk_jsonw_key_uint(j, "router_flits", s->router_flits);
	spk_jsonw_key_uint(j, "link_flits", s->link_flits);
	spk_jsonw_key_real(j, "energy_uj_per_image", se.dynamic / n * 1e-6);
	spk_jsonw_key_real(j, "paper_uj_per_image", spk_sim_paper_pj(&s->ev) / n * 1e-6);
	spk_sim_json_breakdown(j, "breakdown_uj_per_image", &se, n, false);
}

static double per_sop(double pj, uint64_t sops)
{
	return sops > 0 ? pj / (double)sops : 0;
}

/* Whether the compiler gave tile t's unit any work (an unused tile's unit stays idle). */
bool spk_sim_tile_used(const struct spk_image *img, uint32_t t)
{
	const struct spk_image_tile *tl = &img->tiles[t];

	switch (tl->kind) {
	case SPK_TILE_CORE: return tl->n_pieces > 0;
	case SPK_TILE_ATTENTION: return tl->n_attn > 0;
	case SPK_TILE_ENCODER: return tl->encoder != NULL;
	case SPK_TILE_READOUT: return tl->n_means > 0;
	}
	return false;
}

/* A fraction of the simulated time. */
static double share(uint64_t cycles, const struct sim_summary *s)
{
	return s->st.cycles > 0 ? (double)cycles / (double)s->st.cycles : 0;
}

/* Meshes up to this wide get the utilisation map in the text report (the JSON has every tile). */
#define UTIL_MAP_MAX_X 24u

/*
 * The mesh, row y = 0 first: per tile its unit's kind (C core, A attention, E encoder, R
 * readout) and the percentage of the simulated time its input side was busy; "-" unused.
 */
static void report_util_map(FILE *f, const struct sim_summary *s, const struct spk_image *img)
{
	fprintf(f, "unit utilisation     %% of the simulated time each unit's input side was busy "
		"(C core, A attention, E encoder, R readout, - unused)\n");
	if (img->mesh_x > UTIL_MAP_MAX_X) {
		fprintf(f, "                     (a %ux%u mesh: every tile is in the JSON report, "
			"\"tiles\")\n", img->mesh_x, img->mesh_y);
		return;
	}
	fprintf(f, "      x");
	for (uint32_t x = 0; x < img->mesh_x; x++)
		fprintf(f, " %5u", x);
	fputc('\n', f);
	for (uint32_t y = 0; y < img->mesh_y; y++) {
		fprintf(f, "  y %3u", y);
		for (uint32_t x = 0; x < img->mesh_x; x++) {
			uint32_t t = y * img->mesh_x + x;
			double pc = 100 * share(s->busy[t], s);

			if (!spk_sim_tile_used(img, t))
				fprintf(f, "     -");
			else if (pc > 0 && pc < 0.5)
				fprintf(f, "  %c <1", "?CAER"[img->tiles[t].kind % 5]);
			else
				fprintf(f, "  %c%3.0f", "?CAER"[img->tiles[t].kind % 5], pc);
		}
		fputc('\n', f);
	}
}

/* Runs up to this many images list every image in the text report (all in the JSON). */
#define TEXT_IMAGES_MAX 20u

/* ---- the critical path (--critical-path, sim/critpath.h) --------------------------------------- */

/* A contributor's unit, "core (3,4)", and layer, the step's name or "-". */
static void cp_names(const struct spk_image *img, const struct spk_cp_entry *e, char *unit,
		     size_t len, const char **layer)
{
	const struct spk_image_tile *tl = &img->tiles[e->tile];

	snprintf(unit, len, "%s (%u,%u)", spk_image_tile_kind_name(tl->kind), tl->x, tl->y);
	*layer = e->layer < img->n_steps ? img->steps[e->layer].name : "-";
}

/* The path's cycles of every cause, over all images walked; their sum. */
static uint64_t cp_by_cause(const struct sim_summary *s, uint64_t *by)
{
	uint64_t total = 0;

	memset(by, 0, SPK_CP_CAUSES * sizeof(*by));
	for (uint32_t i = 0; i < spk_critpath_images(s->cp); i++) {
		const uint64_t *b = spk_critpath_image_causes(s->cp, i);

		for (unsigned k = 0; b != NULL && k < SPK_CP_CAUSES; k++) {
			by[k] += b[k];
			total += b[k];
		}
	}
	return total;
}

static void report_text_critpath(FILE *f, const struct sim_summary *s,
				 const struct spk_image *img)
{
	uint64_t by[SPK_CP_CAUSES], total = cp_by_cause(s, by);
	size_t n;
	const struct spk_cp_entry *e = spk_critpath_top(s->cp, &n);
	bool first = true;

	fprintf(f, "critical path        %llu cycles on the paths of %u image%s from in to class "
		"out (doc/report.md); top 5:\n", (unsigned long long)total,
		spk_critpath_images(s->cp), spk_critpath_images(s->cp) == 1 ? "" : "s");
	fprintf(f, "                     %12s  %6s  %-18s %-36s %s\n", "cycles", "share", "unit",
		"layer", "cause");
	for (size_t k = 0; k < n && k < 5; k++) {
		char unit[64];
		const char *layer;

		cp_names(img, &e[k], unit, sizeof(unit), &layer);
		fprintf(f, "                     %12llu  %5.1f%%  %-18s %-36s %s\n",
			(unsigned long long)e[k].cycles, total ? 100.0 * e[k].cycles / total : 0,
			unit, layer, spk_cp_cause_name(e[k].cause));
	}
	fprintf(f, "by cause            ");
	for (unsigned k = 0; k < SPK_CP_CAUSES; k++) {
		if (by[k] == 0)
			continue;
		fprintf(f, "%s %s %.1f %%", first ? "" : ",", spk_cp_cause_name(k),
			total ? 100.0 * by[k] / total : 0);
		first = false;
	}
	fputc('\n', f);
}

/* The cycles of each cause as an object of snake_case keys. */
static void cp_json_causes(struct spk_jsonw *j, const char *key, const uint64_t *by)
{
	spk_jsonw_key(j, key);
	spk_jsonw_object(j);
	for (unsigned k = 0; k < SPK_CP_CAUSES; k++) {
		char name[64];

		snprintf(name, sizeof(name), "%s", spk_cp_cause_name(k));
		for (char *p = name; *p != '\0'; p++)
			if (*p == ' ')
				*p = '_';
		spk_jsonw_key_uint(j, name, by[k]);
	}
	spk_jsonw_end(j);
}

static void report_json_critpath(struct spk_jsonw *j, const struct sim_summary *s,
				 const struct spk_image *img)
{
	uint64_t by[SPK_CP_CAUSES], total = cp_by_cause(s, by);
	size_t n;
	const struct spk_cp_entry *e = spk_critpath_top(s->cp, &n);

	spk_jsonw_key(j, "critical_path");
	spk_jsonw_object(j);
	spk_jsonw_key_uint(j, "images", spk_critpath_images(s->cp));
	spk_jsonw_key_uint(j, "cycles", total);
	cp_json_causes(j, "by_cause", by);
	spk_jsonw_key(j, "contributors");
	spk_jsonw_array(j);
	for (size_t k = 0; k < n; k++) {
		const struct spk_image_tile *tl = &img->tiles[e[k].tile];

		spk_jsonw_object(j);
		spk_jsonw_key_str(j, "kind", spk_image_tile_kind_name(tl->kind));
		spk_jsonw_key_uint(j, "x", tl->x);
		spk_jsonw_key_uint(j, "y", tl->y);
		spk_jsonw_key_uint(j, "tile", e[k].tile);
		spk_jsonw_key_str(j, "layer", e[k].layer < img->n_steps ?
			img->steps[e[k].layer].name : NULL);
		spk_jsonw_key_str(j, "cause", spk_cp_cause_name(e[k].cause));
		spk_jsonw_key_uint(j, "cycles", e[k].cycles);
		spk_jsonw_key_real(j, "share", total ? (double)e[k].cycles / total : 0);
		spk_jsonw_end(j);
	}
	spk_jsonw_end(j);
	spk_jsonw_key(j, "per_image");
	spk_jsonw_array(j);
	for (uint32_t i = 0; i < spk_critpath_images(s->cp); i++) {
		const uint64_t *b = spk_critpath_image_causes(s->cp, i);

		if (b == NULL)
			continue;
		spk_jsonw_object(j);
		spk_jsonw_key_uint(j, "image", i);
		spk_jsonw_key_uint(j, "latency_cycles", s->res[i].out_cycle - s->res[i].in_cycle);
		cp_json_causes(j, "by_cause", b);
		spk_jsonw_end(j);
	}
	spk_jsonw_end(j);
	spk_jsonw_end(j);
}

/* ---- per layer and per tile (the JSON report's "layers", each tile's "layers") ---------------- */

/* Whether tile t hosts step i: a CONV step's projections, an ATTN step's op, the ENCODER's
 * channels, the head (LINEAR), or a FIRE step's neurons (a piece its population reads, a mean
 * population's partial sums or channels). */
static bool tile_hosts(const struct spk_image *img, uint32_t t, uint32_t i)
{
	const struct spk_image_tile *tl = &img->tiles[t];
	const struct spk_image_step *st = &img->steps[i];

	switch (st->type) {
	case SPK_STEP_CONV:
		for (uint32_t k = 0; k < tl->n_projs; k++)
			if (tl->projs[k].step == i)
				return true;
		return false;
	case SPK_STEP_ATTN:
		for (uint32_t k = 0; k < tl->n_attn; k++)
			if (tl->attn[k].step == i)
				return true;
		return false;
	case SPK_STEP_ENCODER:
		return tl->encoder != NULL && tl->encoder->step == i;
	case SPK_STEP_LINEAR:
		return tl->head != NULL && tl->head->step == i;
	case SPK_STEP_FIRE:
		for (uint32_t l = 0; l < tl->n_pieces; l++) {
			uint32_t site = tl->pieces[l].site;

			for (uint32_t k = 0; k < img->n_site_readers[site]; k++)
				if (img->site_readers[site][k] == st->pop)
					return true;
		}
		for (uint32_t k = 0; k < tl->n_routes; k++)
			if (tl->routes[k].kind == SPK_ROUTE_MEAN && tl->routes[k].source == st->pop)
				return true;
		for (uint32_t m = 0; m < tl->n_means; m++)
			if (tl->means[m].pop == st->pop)
				return true;
		return false;
	}
	return false;
}

/* The busy cycles of step i (the chip's input-busy cycles of the packets its work brought). */
static uint64_t layer_busy(const struct sim_summary *s, const struct spk_image *img, uint32_t i)
{
	return s->layers[spk_energy_raw_size(img) + i];
}

/* The tiles hosting step i, as an array of tile indices. */
static void json_layer_tiles(struct spk_jsonw *j, const struct spk_image *img, uint32_t i)
{
	spk_jsonw_key(j, "tiles");
	spk_jsonw_array_inline(j);
	for (uint32_t t = 0; t < img->n_tiles; t++)
		if (tile_hosts(img, t, i))
			spk_jsonw_uint(j, t);
	spk_jsonw_end(j);
}

/*
 * "layers": per step of the image, its events, energy (as `spikechip energy` attributes them:
 * spk_energy_counts_of() of the simulator's own counts), its input-busy cycles, its firing rate
 * (FIRE: spikes per neuron and timestep) and the tiles hosting it. NULL counts: RTL units ran,
 * whose counters are not kept: "layers" is null.
 */
static void report_json_layers(struct spk_jsonw *j, const struct sim_summary *s,
			       const struct spk_image *img, const struct spk_energy_counts *c)
{
	spk_jsonw_key(j, "layers");
	if (c == NULL) {
		spk_jsonw_null(j);
		return;
	}
	spk_jsonw_array(j);
	for (uint32_t i = 0; i < img->n_steps; i++) {
		const struct spk_image_step *st = &img->steps[i];

		spk_jsonw_object(j);
		spk_sim_json_layer_keys(j, img, i, &c->step[i], s->arch, s->n);
		spk_jsonw_key_uint(j, "busy_cycles", layer_busy(s, img, i));
		spk_jsonw_key(j, "firing_rate");
		if (st->type == SPK_STEP_FIRE && img->pops[st->pop].neurons > 0)
			spk_jsonw_real(j, (double)c->step[i].spikes /
				       ((double)img->pops[st->pop].neurons * img->time_steps * s->n));
		else
			spk_jsonw_null(j);
		json_layer_tiles(j, img, i);
		spk_jsonw_end(j);
	}
	spk_jsonw_end(j);
	spk_jsonw_key_uint(j, "busy_cycles_no_layer", layer_busy(s, img, img->n_steps));
}

static void report_text_images(FILE *f, const struct sim_summary *s)
{
	if (s->n > TEXT_IMAGES_MAX) {
		fprintf(f, "image results        class, label, in and out cycle and latency of "
			"every image: the JSON report (--json), \"per_image\"\n");
		return;
	}
	fprintf(f, "image results        image  class  label  correct      in cycle     out cycle"
		"      latency\n");
	for (uint32_t i = 0; i < s->n; i++) {
		const struct spk_chip_result *r = &s->res[i];
		char label[16] = "-";

		if (s->labels != NULL)
			snprintf(label, sizeof(label), "%u", s->labels[i]);
		fprintf(f, "                     %5u  %5u  %5s  %7s  %12llu  %12llu  %11llu\n", i,
			r->cls, label, s->labels == NULL ? "-" : s->labels[i] == r->cls ? "yes" : "no",
			(unsigned long long)r->in_cycle, (unsigned long long)r->out_cycle,
			(unsigned long long)(r->out_cycle - r->in_cycle));
	}
}

void spk_sim_report_text(FILE *f, const struct sim_summary *s, const struct sim_opts *o,
			 const struct spk_image *img)
{
	const struct spk_chip_stats *st = &s->st;
	const struct spk_chip_energy *e = &st->energy;
	double n = s->n, us = 1.0 / s->clock_mhz;
	uint64_t pk = st->noc.packets_delivered;

	fprintf(f, "chip image %s (%s, %ux%u mesh, T=%u), %u images of %s\n", o->image,
		img->model_config, img->mesh_x, img->mesh_y, img->time_steps, s->n, o->data);
	if (s->have_acc)
		fprintf(f, "accuracy             %.2f %%\n", 100 * s->accuracy);
	if (s->checked)
		fprintf(f, "check                %s (%llu mismatches)\n",
			s->mismatches ? "FAILED" : "spike for spike equal to the integer reference",
			(unsigned long long)s->mismatches);
	fprintf(f, "latency              mean %.1f cycles (%.2f us), min %llu, max %llu\n",
		s->lat_mean, s->lat_mean * us, (unsigned long long)s->lat_min,
		(unsigned long long)s->lat_max);
	fprintf(f, "throughput           %.1f images/s (one every %.1f cycles at %.0f MHz)\n",
		s->throughput, s->interval, s->clock_mhz);
	fprintf(f, "simulated time       %llu cycles (%.3f ms), %u segment%s of up to %u images, "
		"each from an empty chip\n", (unsigned long long)st->cycles, st->cycles * us / 1e3,
		s->n_segs, s->n_segs == 1 ? "" : "s", s->seg);
	if (s->byo_core != NULL)
		fprintf(f, "C models             %llu cycles with the C models' cores instead of %s: "
			"this core %+lld cycles (%+.2f %%)\n", (unsigned long long)s->c_cycles,
			s->byo_core, (long long)(st->cycles - s->c_cycles),
			s->c_cycles > 0 ? 100.0 * ((double)st->cycles - (double)s->c_cycles) /
			(double)s->c_cycles : 0.0);
	fprintf(f, "per image            %.0f SOPs, %.0f attention ops, %.0f encoder MACs, "
		"%.0f spikes\n", st->ev.sops / n, st->ev.attention_ops / n,
		st->ev.encoder_macs / n, st->spikes / n);
	fprintf(f, "energy per image     %.4f uJ (dynamic %.4f uJ, static %.4f uJ)\n",
		e->total / n * 1e-6, e->dynamic / n * 1e-6, e->static_ / n * 1e-6);
	spk_sim_text_breakdown(f, e, n, true);
	fprintf(f, "pJ/SOP               %.3f dynamic, %.3f total (one synaptic op in a core: "
		"%.3f pJ)\n", per_sop(e->dynamic, st->ev.sops), per_sop(e->total, st->ev.sops),
		s->core_sop_pj);
	fprintf(f, "paper's formula      %.4f uJ per image (4.6 pJ/MAC, 0.9 pJ/AC, 45 nm)\n",
		s->paper_pj / n * 1e-6);
	fprintf(f, "NoC                  %llu packets, %llu hops, latency mean %.1f max %llu "
		"cycles, %llu stall cycles\n", (unsigned long long)pk,
		(unsigned long long)st->noc.hops,
		pk ? (double)st->noc.latency_sum / pk : 0,
		(unsigned long long)st->noc.latency_max, (unsigned long long)st->noc.stall_cycles);
	if (st->noc.busiest_link_flits > 0)
		fprintf(f, "busiest link         (%u,%u) %s: %llu flits (%.1f %% of the simulated "
			"time)\n", s->busy_x, s->busy_y, s->busy_dir,
			(unsigned long long)st->noc.busiest_link_flits,
			100 * share(st->noc.busiest_link_flits, s));
	if (st->busiest_cycles > 0)
		fprintf(f, "busiest unit         %s (%u,%u): input busy %llu cycles (%.1f %% of the "
			"run)\n", s->unit_kind, s->unit_x, s->unit_y,
			(unsigned long long)st->busiest_cycles,
			st->cycles ? 100.0 * st->busiest_cycles / st->cycles : 0);
	if (s->refused[s->refused_tile] > 0) {
		const struct spk_image_tile *tl = &img->tiles[s->refused_tile];

		fprintf(f, "most held-back NI    %s (%u,%u): %llu offers refused (%.1f %% of the "
			"simulated time)\n", spk_image_tile_kind_name(tl->kind), tl->x, tl->y,
			(unsigned long long)s->refused[s->refused_tile],
			100 * share(s->refused[s->refused_tile], s));
	}
	report_util_map(f, s, img);
	report_text_images(f, s);
	if (s->cp != NULL)
		report_text_critpath(f, s, img);
	fprintf(f, "simulator            %s engine%s%s%s, %.3f s, %.0f SOPs/s, %.0f cycles/s, %llu unit "
		"evaluations, %u job%s\n", s->systemc ? (s->rtl ? "systemc+RTL" : "systemc") : "native",
		s->rtl ? " (RTL: " : "", s->rtl ? s->rtl_desc : "", s->rtl ? ")" : "",
		s->wall,
		s->wall > 0 ? s->sim_sops / s->wall : 0,
		s->wall > 0 ? s->sim_cycles / s->wall : 0, (unsigned long long)st->unit_evals,
		s->jobs, s->jobs == 1 ? "" : "s");
	if (s->resume != NULL)
		fprintf(f, "resumed              %u of %u segments from %s (the speed above is that "
			"of the other %u)\n", s->resumed, s->n_segs, s->resume,
			s->n_segs - s->resumed);
}

/* One number per image, on one line. */
static void json_image_column(struct spk_jsonw *j, const struct sim_summary *s, const char *key,
			      int col)
{
	spk_jsonw_key(j, key);
	spk_jsonw_array_inline(j);
	for (uint32_t i = 0; i < s->n; i++) {
		const struct spk_chip_result *r = &s->res[i];

		spk_jsonw_uint(j, col == 0 ? r->cls : col == 1 ? s->labels[i] : col == 2 ?
			       r->in_cycle : col == 3 ? r->out_cycle : r->out_cycle - r->in_cycle);
	}
	spk_jsonw_end(j);
}

/*
 * "per_image": columns of one number per image, in image order: the predicted class, the label
 * (null without labels), the in and class-out cycles within the image's segment, the latency.
 */
static void report_json_images(struct spk_jsonw *j, const struct sim_summary *s)
{
	spk_jsonw_key(j, "per_image");
	spk_jsonw_object(j);
	json_image_column(j, s, "class", 0);
	if (s->labels != NULL) {
		json_image_column(j, s, "label", 1);
	} else {
		spk_jsonw_key_null(j, "label");
	}
	json_image_column(j, s, "in_cycle", 2);
	json_image_column(j, s, "out_cycle", 3);
	json_image_column(j, s, "latency_cycles", 4);
	spk_jsonw_end(j);
}

void spk_sim_text_breakdown(FILE *f, const struct spk_chip_energy *e, double n, bool with_static)
{
	fprintf(f, "  synaptic adds      %.4f uJ\n", e->syn_add / n * 1e-6);
	fprintf(f, "  weight reads       %.4f uJ\n", e->weight_read / n * 1e-6);
	fprintf(f, "  neuron updates     %.4f uJ\n", e->neuron / n * 1e-6);
	fprintf(f, "  spikes/packets out %.4f uJ\n", e->spike_out / n * 1e-6);
	fprintf(f, "  router hops        %.4f uJ\n", e->router / n * 1e-6);
	fprintf(f, "  links              %.4f uJ\n", e->link / n * 1e-6);
	fprintf(f, "  attention          %.4f uJ\n", e->attention / n * 1e-6);
	fprintf(f, "  encoder            %.4f uJ\n", e->encoder / n * 1e-6);
	if (with_static)
		fprintf(f, "  static             %.4f uJ\n", e->static_ / n * 1e-6);
}

void spk_sim_json_breakdown(struct spk_jsonw *j, const char *key, const struct spk_chip_energy *e,
			    double n, bool with_static)
{
	spk_jsonw_key(j, key);
	spk_jsonw_object(j);
	spk_jsonw_key_real(j, "synaptic_adds", e->syn_add / n * 1e-6);
	spk_jsonw_key_real(j, "weight_reads", e->weight_read / n * 1e-6);
	spk_jsonw_key_real(j, "neuron_updates", e->neuron / n * 1e-6);
	spk_jsonw_key_real(j, "spikes", e->spike_out / n * 1e-6);
	spk_jsonw_key_real(j, "router_hops", e->router / n * 1e-6);
	spk_jsonw_key_real(j, "links", e->link / n * 1e-6);
	spk_jsonw_key_real(j, "attention", e->attention / n * 1e-6);
	spk_jsonw_key_real(j, "encoder", e->encoder / n * 1e-6);
	if (with_static)
		spk_jsonw_key_real(j, "static", e->static_ / n * 1e-6);
	spk_jsonw_end(j);
}

void spk_sim_json_busiest_link(struct spk_jsonw *j, const struct spk_image *img,
			       const struct spk_noc_stats *noc)
{
	spk_jsonw_key(j, "busiest_link");
	if (noc->busiest_link_flits > 0) {
		const struct spk_image_tile *t = &img->tiles[noc->busiest_link / 5];

		spk_jsonw_object(j);
		spk_jsonw_key_uint(j, "x", t->x);
		spk_jsonw_key_uint(j, "y", t->y);
		spk_jsonw_key_str(j, "direction", port_names[noc->busiest_link % 5]);
		spk_jsonw_key_uint(j, "flits", noc->busiest_link_flits);
		spk_jsonw_end(j);
	} else {
		spk_jsonw_null(j);
	}
}

void spk_sim_json_flits_out(struct spk_jsonw *j, const uint64_t *links)
{
	spk_jsonw_key(j, "flits_out");
	spk_jsonw_object(j);
	for (unsigned p = 0; p < 5; p++)
		spk_jsonw_key_uint(j, port_names[p], links[p]);
	spk_jsonw_end(j);
}

void spk_sim_json_unit_events(struct spk_jsonw *j, const struct spk_unit_events *ev)
{
	spk_jsonw_key_uint(j, "sops", ev->sops);
	spk_jsonw_key_uint(j, "graded_adds", ev->graded_adds);
	spk_jsonw_key_uint(j, "neuron_updates", ev->neuron_updates);
	spk_jsonw_key_uint(j, "packets_out", ev->packets_out);
	spk_jsonw_key_uint(j, "attention_ops", ev->attention_ops);
	spk_jsonw_key_uint(j, "encoder_macs", ev->encoder_macs);
}

void spk_sim_json_events(struct spk_jsonw *j, const struct spk_unit_events *ev,
			 const struct spk_noc_stats *noc, uint64_t spikes)
{
	spk_jsonw_key(j, "events");
	spk_jsonw_object(j);
	spk_sim_json_unit_events(j, ev);
	spk_jsonw_key_uint(j, "router_flits", noc->router_flits);
	spk_jsonw_key_uint(j, "link_flits", noc->link_flits);
	spk_jsonw_key_uint(j, "packets_injected", noc->packets_injected);
	spk_jsonw_key_uint(j, "packets_delivered", noc->packets_delivered);
	spk_jsonw_key_uint(j, "flits_injected", noc->flits_injected);
	spk_jsonw_key_uint(j, "flits_delivered", noc->flits_delivered);
	spk_jsonw_key_uint(j, "hops", noc->hops);
	spk_jsonw_key_uint(j, "spikes", spikes);
	spk_jsonw_end(j);
}

void spk_sim_report_json(struct spk_jsonw *j, const struct sim_summary *s, const struct sim_opts *o,
			 const struct spk_image *img)
{
	const struct spk_chip_stats *st = &s->st;
	const struct spk_chip_energy *e = &st->energy;
	double n = s->n;
	uint64_t pk = st->noc.packets_delivered;
	struct spk_energy *ctr = NULL;
	const struct spk_energy_counts *c = NULL;

	spk_jsonw_object(j);
	spk_jsonw_key_str(j, "image_file", o->image);
	spk_jsonw_key_str(j, "config", img->model_config);
	spk_jsonw_key_str(j, "data", o->data);
	spk_jsonw_key_uint(j, "images", s->n);
	spk_jsonw_key(j, "accuracy");
	if (s->have_acc)
		spk_jsonw_real(j, s->accuracy);
	else
		spk_jsonw_null(j);
	spk_jsonw_key_bool(j, "checked", s->checked);
	spk_jsonw_key_uint(j, "mismatches", s->mismatches);
	spk_jsonw_key_real(j, "clock_mhz", s->clock_mhz);
	spk_jsonw_key_uint(j, "cycles", st->cycles);
	spk_jsonw_key_uint(j, "segment_images", s->seg);
	spk_jsonw_key_uint(j, "segments", s->n_segs);
	spk_jsonw_key_real(j, "latency_cycles_mean", s->lat_mean);
	spk_jsonw_key_uint(j, "latency_cycles_min", s->lat_min);
	spk_jsonw_key_uint(j, "latency_cycles_max", s->lat_max);
	spk_jsonw_key_real(j, "latency_us_mean", s->lat_mean / s->clock_mhz);
	spk_jsonw_key_real(j, "interval_cycles", s->interval);
	spk_jsonw_key_real(j, "throughput_images_per_s", s->throughput);
	spk_jsonw_key_real(j, "sops_per_image", st->ev.sops / n);
	spk_jsonw_key_real(j, "attention_ops_per_image", st->ev.attention_ops / n);
	spk_jsonw_key_real(j, "encoder_macs_per_image", st->ev.encoder_macs / n);
	spk_jsonw_key_real(j, "spikes_per_image", st->spikes / n);
	spk_jsonw_key_real(j, "energy_uj_per_image", e->total / n * 1e-6);
	spk_sim_json_breakdown(j, "energy_breakdown_uj_per_image", e, n, true);
	spk_jsonw_key_real(j, "energy_dynamic_uj_per_image", e->dynamic / n * 1e-6);
	spk_jsonw_key_real(j, "pj_per_sop", per_sop(e->dynamic, st->ev.sops));
	spk_jsonw_key_real(j, "pj_per_sop_total", per_sop(e->total, st->ev.sops));
	spk_jsonw_key_real(j, "pj_per_sop_core", s->core_sop_pj);
	spk_jsonw_key_real(j, "paper_energy_uj_per_image", s->paper_pj / n * 1e-6);
	spk_jsonw_key(j, "noc");
	spk_jsonw_object(j);
	spk_jsonw_key_uint(j, "packets", pk);
	spk_jsonw_key_uint(j, "flits", st->noc.flits_delivered);
	spk_jsonw_key_uint(j, "hops", st->noc.hops);
	spk_jsonw_key_real(j, "hops_per_packet", pk ? (double)st->noc.hops / pk : 0);
	spk_jsonw_key_real(j, "latency_mean", pk ? (double)st->noc.latency_sum / pk : 0);
	spk_jsonw_key_uint(j, "latency_max", st->noc.latency_max);
	spk_jsonw_key_uint(j, "stall_cycles", st->noc.stall_cycles);
	spk_jsonw_key_uint(j, "inject_refused", st->noc.inject_refused);
	spk_jsonw_key_uint(j, "router_flits", st->noc.router_flits);
	spk_jsonw_key_uint(j, "link_flits", st->noc.link_flits);
	spk_sim_json_busiest_link(j, img, &st->noc);
	spk_jsonw_end(j);
	spk_sim_json_events(j, &st->ev, &st->noc, st->spikes);
	spk_jsonw_key(j, "busiest_unit");
	spk_jsonw_object(j);
	spk_jsonw_key_str(j, "kind", s->unit_kind);
	spk_jsonw_key_uint(j, "x", s->unit_x);
	spk_jsonw_key_uint(j, "y", s->unit_y);
	spk_jsonw_key_uint(j, "busy_cycles", st->busiest_cycles);
	spk_jsonw_end(j);
	report_json_images(j, s);
	if (s->layers != NULL) {
		char err[256];

		ctr = spk_energy_create_counter(img, s->arch, err, sizeof(err));
		if (ctr != NULL)
			c = spk_energy_counts_of(ctr, s->layers);
	}
	report_json_layers(j, s, img, c);
	spk_jsonw_key(j, "tiles");
	spk_jsonw_array(j);
	for (uint32_t t = 0; t < img->n_tiles; t++) {
		const uint64_t *l = s->links + (size_t)t * 5;

		spk_jsonw_object(j);
		spk_jsonw_key_uint(j, "x", img->tiles[t].x);
		spk_jsonw_key_uint(j, "y", img->tiles[t].y);
		spk_jsonw_key_str(j, "kind", spk_image_tile_kind_name(img->tiles[t].kind));
		spk_jsonw_key_bool(j, "used", spk_sim_tile_used(img, t));
		spk_jsonw_key_uint(j, "busy_cycles", s->busy[t]);
		spk_jsonw_key_real(j, "utilisation", share(s->busy[t], s));
		spk_jsonw_key_uint(j, "ni_refused", s->refused[t]);
		spk_sim_json_flits_out(j, l);
		if (c != NULL) {
			spk_jsonw_key(j, "events");
			spk_jsonw_object(j);
			spk_sim_json_unit_events(j, &c->tile_ev[t]);
			spk_jsonw_end(j);
		}
		spk_jsonw_key(j, "layers");
		spk_jsonw_array_inline(j);
		for (uint32_t i = 0; i < img->n_steps; i++)
			if (tile_hosts(img, t, i))
				spk_jsonw_uint(j, i);
		spk_jsonw_end(j);
		spk_jsonw_end(j);
	}
	spk_jsonw_end(j);
	spk_energy_destroy(ctr);
	if (s->cp != NULL)
		report_json_critpath(j, s, img);
	spk_jsonw_key_uint(j, "graded_clamped", st->graded_clamped);
	spk_jsonw_key_uint(j, "counter_overflows", st->counter_overflows);
	spk_jsonw_key_uint(j, "unit_evals", st->unit_evals);
	spk_jsonw_key_str(j, "engine", s->systemc ? "systemc" : "native");
	if (s->rtl)
		spk_jsonw_key_str(j, "rtl", s->rtl_desc);
	if (s->byo_core != NULL) {
		spk_jsonw_key_str(j, "rtl_core", s->byo_core);
		spk_jsonw_key_uint(j, "c_model_cycles", s->c_cycles);
	}
	spk_jsonw_key_real(j, "sim_wall_s", s->wall);
	spk_jsonw_key_real(j, "sim_sops_per_s", s->wall > 0 ? s->sim_sops / s->wall : 0);
	spk_jsonw_key_real(j, "sim_cycles_per_s", s->wall > 0 ? s->sim_cycles / s->wall : 0);
	spk_jsonw_key_uint(j, "resumed_segments", s->resumed);
	spk_jsonw_end(j);
}
