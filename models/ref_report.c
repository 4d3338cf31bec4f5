/*
 * ref_report.c — reports of a reference-inference run; see ref_report.h.
 */
#include "config.h"

#include "models/ref_report.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static uint64_t pop_neurons(const struct spk_model *m, uint32_t p)
{
	return spk_model_pop_neurons(m, p);
}

void spk_ref_get_totals(const struct spk_model *m, const struct spk_ref_stats *st,
			struct spk_ref_totals *t)
{
	double images = st->images > 0 ? (double)st->images : 1.0;
	uint64_t spikes = 0, sops = 0, attn = 0, dense = 0;

	memset(t, 0, sizeof(*t));
	for (uint32_t p = 0; p < m->n_pops; p++) {
		t->neurons += pop_neurons(m, p);
		spikes += st->pop_spikes[p];
	}
	for (uint32_t i = 0; i < m->n_ops; i++) {
		sops += st->op_sops[i];
		attn += st->op_attn[i];
		dense += st->op_dense[i];
	}
	t->spikes_per_image = (double)spikes / images;
	t->firing_rate = t->neurons > 0 ?
		(double)spikes / ((double)t->neurons * st->time_steps * images) : 0;
	t->sops_per_image = (double)sops / images;
	t->attention_ops_per_image = (double)attn / images;
	t->dense_ops_per_image = (double)dense * st->time_steps;
	t->encoder_macs_per_image = (double)st->enc_macs;
	t->energy_paper_uj_per_image = (SPK_E_MAC_PJ * t->encoder_macs_per_image +
					 SPK_E_AC_PJ * (t->sops_per_image +
							t->attention_ops_per_image)) * 1e-6;
}

/* 1234567 -> "1.23M": three significant digits and an SI suffix. */
static const char *human(char *buf, size_t len, double v)
{
	static const char suffix[] = { ' ', 'k', 'M', 'G', 'T', 'P' };
	int k = 0;

	while (fabs(v) >= 999.5 && k < 5) {
		v /= 1000;
		k++;
	}
	if (k == 0 && v == floor(v))
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.3g%c", v, suffix[k]);
	if (suffix[k] == ' ')
		buf[strcspn(buf, " ")] = '\0';
	return buf;
}

void spk_ref_report_text(FILE *f, const struct spk_model *m, const struct spk_ref_stats *st,
			 const struct spk_ref_run_info *info)
{
	double images = st->images > 0 ? (double)st->images : 1.0;
	struct spk_ref_totals t;
	char a[32], b[32], c[32], d[32], e[32];

	spk_ref_get_totals(m, st, &t);
	if (info->integer)
		fprintf(f, "spikechip ref: integer reference (%d-bit weights, %d-bit membranes; "
			"arch %s)\n", info->weight_bits, info->membrane_bits, info->arch_path);
	else
		fprintf(f, "spikechip ref: float64 reference\n");
	fprintf(f, "model      %s (config '%s', T %u, %u populations, %u operations)\n",
		info->model_path, m->config, st->time_steps, m->n_pops, m->n_ops);
	fprintf(f, "data       %s: %" PRIu64 " images\n", info->data_path, st->images);
	if (info->labelled)
		fprintf(f, "accuracy   %.2f %% (%" PRIu64 " of %" PRIu64 ")", 100.0 *
			(double)info->correct / images, info->correct, st->images);
	else
		fprintf(f, "accuracy   unknown (no labels)");
	if (!isnan(m->float_accuracy))
		fprintf(f, "; float model at export: %.2f %%", 100.0 * m->float_accuracy);
	fputc('\n', f);
	fprintf(f, "time       %.3f s: %.1f images/s, %.3f G SOP/s\n", info->seconds,
		info->seconds > 0 ? (double)st->images / info->seconds : 0,
		info->seconds > 0 ? t.sops_per_image * (double)st->images / info->seconds * 1e-9 : 0);
	fprintf(f, "per image  spikes %s (firing rate %.2f %%), SOPs %s, attention ops %s, "
		"dense ops %s, encoder MACs %s\n", human(a, sizeof(a), t.spikes_per_image),
		100.0 * t.firing_rate, human(b, sizeof(b), t.sops_per_image),
		human(c, sizeof(c), t.attention_ops_per_image),
		human(d, sizeof(d), t.dense_ops_per_image),
		human(e, sizeof(e), t.encoder_macs_per_image));
	fprintf(f, "energy     paper formula (45 nm): %.1f pJ x %s MACs + %.1f pJ x %s ops = "
		"%.4g uJ/image\n\n", SPK_E_MAC_PJ, human(a, sizeof(a), t.encoder_macs_per_image),
		SPK_E_AC_PJ, human(b, sizeof(b), t.sops_per_image + t.attention_ops_per_image),
		t.energy_paper_uj_per_image);

	fprintf(f, "%4s  %-7s %-36s %8s %7s %10s %10s %10s %10s %10s\n", "#", "op", "name",
		"neurons", "rate%", "spikes/img", "SOP/img", "attn/img", "dense/img", "MAC/img");
	for (uint32_t i = 0; i < m->n_ops; i++) {
		const struct spk_op *op = &m->ops[i];
		const char *name = op->type == SPK_OP_FIRE ? m->pops[op->pop].name : op->name;

		fprintf(f, "%4u  %-7s %-36.36s", i, spk_op_type_name(op->type), name);
		switch (op->type) {
		case SPK_OP_FIRE: {
			uint64_t n = pop_neurons(m, op->pop);
			double spk = (double)st->pop_spikes[op->pop];

			fprintf(f, " %8" PRIu64 " %7.2f %10s\n", n,
				100.0 * spk / ((double)n * st->time_steps * images),
				human(a, sizeof(a), spk / images));
			break;
		}
		case SPK_OP_ENCODER:
			fprintf(f, " %8s %7s %10s %10s %10s %10s %10s\n", "", "", "", "", "", "",
				human(a, sizeof(a), (double)st->enc_macs));
			break;
		case SPK_OP_CONV:
		case SPK_OP_LINEAR:
			fprintf(f, " %8s %7s %10s %10s %10s %10s\n", "", "", "",
				human(a, sizeof(a), (double)st->op_sops[i] / images), "",
				human(b, sizeof(b), (double)st->op_dense[i] * st->time_steps));
			break;
		case SPK_OP_ATTN:
			fprintf(f, " %8s %7s %10s %10s %10s %10s\n", "", "", "", "",
				human(a, sizeof(a), (double)st->op_attn[i] / images),
				human(b, sizeof(b), (double)st->op_dense[i] * st->time_steps));
			break;
		}
	}
}

void spk_ref_report_json(struct spk_jsonw *j, const struct spk_model *m,
			 const struct spk_ref_stats *st, const struct spk_ref_run_info *info)
{
	double images = st->images > 0 ? (double)st->images : 1.0;
	struct spk_ref_totals t;

	spk_ref_get_totals(m, st, &t);
	spk_jsonw_object(j);
	spk_jsonw_key_str(j, "tool", "spikechip ref");
	spk_jsonw_key_str(j, "version", PACKAGE_VERSION);
	spk_jsonw_key_str(j, "mode", info->integer ? "integer" : "float");
	spk_jsonw_key_str(j, "model", info->model_path);
	spk_jsonw_key_str(j, "model_config", m->config);
	spk_jsonw_key_str(j, "arch", info->integer ? info->arch_path : NULL);
	spk_jsonw_key(j, "weight_bits");
	if (info->integer)
		spk_jsonw_int(j, info->weight_bits);
	else
		spk_jsonw_null(j);
	spk_jsonw_key(j, "membrane_bits");
	if (info->integer)
		spk_jsonw_int(j, info->membrane_bits);
	else
		spk_jsonw_null(j);
	spk_jsonw_key_str(j, "data", info->data_path);
	spk_jsonw_key_uint(j, "time_steps", st->time_steps);
	spk_jsonw_key_uint(j, "images", st->images);
	spk_jsonw_key(j, "correct");
	if (info->labelled)
		spk_jsonw_uint(j, info->correct);
	else
		spk_jsonw_null(j);
	spk_jsonw_key_real(j, "accuracy", info->labelled ? (double)info->correct / images : NAN);
	spk_jsonw_key_real(j, "float_accuracy_at_export", m->float_accuracy);
	spk_jsonw_key_real(j, "seconds", info->seconds);
	spk_jsonw_key_real(j, "images_per_second", info->seconds > 0 ? (double)st->images / info->seconds
							    : NAN);
	spk_jsonw_key_real(j, "sops_per_second", info->seconds > 0 ?
		 t.sops_per_image * (double)st->images / info->seconds : NAN);
	spk_jsonw_key_uint(j, "neurons", t.neurons);
	spk_jsonw_key_real(j, "spikes_per_image", t.spikes_per_image);
	spk_jsonw_key_real(j, "firing_rate", t.firing_rate);
	spk_jsonw_key_real(j, "sops_per_image", t.sops_per_image);
	spk_jsonw_key_real(j, "attention_ops_per_image", t.attention_ops_per_image);
	spk_jsonw_key_real(j, "dense_ops_per_image", t.dense_ops_per_image);
	spk_jsonw_key_real(j, "encoder_macs_per_image", t.encoder_macs_per_image);
	spk_jsonw_key_real(j, "e_mac_pj", SPK_E_MAC_PJ);
	spk_jsonw_key_real(j, "e_ac_pj", SPK_E_AC_PJ);
	spk_jsonw_key_real(j, "energy_paper_uj_per_image", t.energy_paper_uj_per_image);
	spk_jsonw_key(j, "layers");
	spk_jsonw_array(j);
	for (uint32_t i = 0; i < m->n_ops; i++) {
		const struct spk_op *op = &m->ops[i];

		spk_jsonw_object(j);
		spk_jsonw_key_uint(j, "index", i);
		spk_jsonw_key_str(j, "op", spk_op_type_name(op->type));
		spk_jsonw_key_str(j, "name", op->name);
		switch (op->type) {
		case SPK_OP_FIRE: {
			const struct spk_pop *p = &m->pops[op->pop];
			uint64_t n = pop_neurons(m, op->pop);
			double spk = (double)st->pop_spikes[op->pop];

			spk_jsonw_key_uint(j, "pop", op->pop);
			spk_jsonw_key_str(j, "population", p->name);
			spk_jsonw_key_str(j, "site", m->sites[p->site].name);
			spk_jsonw_key_str(j, "kind", p->kind == SPK_POP_MEAN ? "spatial-mean" : "neuron");
			spk_jsonw_key_uint(j, "neurons", n);
			spk_jsonw_key_real(j, "spikes_per_image", spk / images);
			spk_jsonw_key_real(j, "firing_rate", spk / ((double)n * st->time_steps * images));
			break;
		}
		case SPK_OP_ENCODER:
			spk_jsonw_key_str(j, "dst_site", m->sites[op->dst_site].name);
			spk_jsonw_key_real(j, "encoder_macs_per_image", (double)st->enc_macs);
			spk_jsonw_key_real(j, "energy_paper_uj_per_image",
				 SPK_E_MAC_PJ * (double)st->enc_macs * 1e-6);
			break;
		case SPK_OP_CONV:
		case SPK_OP_LINEAR: {
			double sops = (double)st->op_sops[i] / images;

			spk_jsonw_key_str(j, "src_population", m->pops[op->src_pop].name);
			spk_jsonw_key_str(j, "dst_site", op->type == SPK_OP_CONV ?
				m->sites[op->dst_site].name : NULL);
			spk_jsonw_key_real(j, "sops_per_image", sops);
			spk_jsonw_key_real(j, "dense_ops_per_image", (double)st->op_dense[i] * st->time_steps);
			spk_jsonw_key_real(j, "energy_paper_uj_per_image", SPK_E_AC_PJ * sops * 1e-6);
			break;
		}
		case SPK_OP_ATTN: {
			double ops = (double)st->op_attn[i] / images;

			spk_jsonw_key_str(j, "dst_site", m->sites[op->dst_site].name);
			spk_jsonw_key_real(j, "attention_ops_per_image", ops);
			spk_jsonw_key_real(j, "dense_ops_per_image", (double)st->op_dense[i] * st->time_steps);
			spk_jsonw_key_real(j, "energy_paper_uj_per_image", SPK_E_AC_PJ * ops * 1e-6);
			break;
		}
		}
		spk_jsonw_end(j);
	}
	spk_jsonw_end(j);
	spk_jsonw_end(j);
}
