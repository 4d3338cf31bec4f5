/*
 * ref_report.h — what a reference-inference run reports: per-operation and total activity
 * (spikes, firing rates, SOPs, attention ops, dense capacity, encoder MACs; doc/semantics.md
 * §8) and the paper's energy estimate E = E_MAC·MACs + E_AC·(SOPs + attention ops), as a
 * table for people and as JSON for scripts. doc/reference.md explains every column and field.
 *
 * Everything is per image (totals over the run divided by the number of images), except the
 * firing rate, which is spikes / (neurons · T · images).
 *
 * Nothing here allocates or fails; write errors are left on the FILE for the caller.
 */
#ifndef SPK_REF_REPORT_H
#define SPK_REF_REPORT_H

#include "models/model.h"
#include "models/ref.h"
#include "util/jsonw.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SPK_E_MAC_PJ 4.6	/* 32-bit float MAC, 45 nm (Horowitz 2014), as in the paper */
#define SPK_E_AC_PJ 0.9		/* 32-bit float add, 45 nm */

/* The run's context, printed with the statistics. */
struct spk_ref_run_info {
	const char *model_path;
	const char *arch_path;		/* NULL in float mode */
	const char *data_path;
	bool integer;
	int weight_bits, membrane_bits;	/* integer mode */
	bool labelled;			/* accuracy is known */
	uint64_t correct;
	double seconds;			/* inference time, loading excluded */
};

struct spk_ref_totals {
	uint64_t neurons;		/* all populations */
	double spikes_per_image;
	double firing_rate;		/* all spikes / (all neurons · T · images) */
	double sops_per_image;
	double attention_ops_per_image;
	double dense_ops_per_image;	/* CONV, ATTN and LINEAR dense capacity · T */
	double encoder_macs_per_image;
	double energy_paper_uj_per_image;
};

void spk_ref_get_totals(const struct spk_model *m, const struct spk_ref_stats *st,
			struct spk_ref_totals *t);

/* The human report: a summary, then one row per operation in program order. */
void spk_ref_report_text(FILE *f, const struct spk_model *m, const struct spk_ref_stats *st,
			 const struct spk_ref_run_info *info);

/* The same as one JSON object (doc/reference.md lists the fields). */
void spk_ref_report_json(struct spk_jsonw *j, const struct spk_model *m,
			 const struct spk_ref_stats *st, const struct spk_ref_run_info *info);

#endif
