/*
 * assign.c — ATTN ops, the encoder and the readout onto their units; see assign.h.
 */
#include "config.h"

#include "mapper/assign.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

uint64_t spk_assign_kv_bytes(const struct spk_map *map, uint32_t op)
{
	const struct spk_op *o = &map->m->ops[op];
	uint64_t d = o->c_out / o->heads;

	return (o->heads * d * d * (uint64_t)map->arch.attention.counter_bits + 7) / 8;
}

uint64_t spk_assign_encoder_bytes(const struct spk_map *map, uint32_t g)
{
	const struct spk_op *o = &map->m->ops[0];
	uint64_t w = ((uint64_t)o->c_in * o->kernel * o->kernel * g * map->arch.core.weight_bits +
		      7) / 8;

	return w + 4 * (uint64_t)o->c_in + 12 * (uint64_t)g;
}

static int assign_attention(struct spk_map *map)
{
	const struct spk_model *m = map->m;
	const uint64_t KV = (uint64_t)map->arch.attention.kv_kib * 1024;
	uint32_t *ops = malloc(m->n_ops * sizeof(*ops)), n = 0, units = 0, worst = 0;
	uint64_t *used = calloc(m->n_ops + 1, sizeof(*used));
	int rc = -ENOMEM;
	char fix[320];

	if (ops == NULL || used == NULL)
		goto out_free;
	for (uint32_t i = 0; i < m->n_ops; i++)
		if (m->ops[i].type == SPK_OP_ATTN)
			ops[n++] = i;
	rc = 0;
	if (n == 0)
		goto out_free;
	/* the largest region decides the kv_kib that would fit */
	for (uint32_t k = 1; k < n; k++)
		if (spk_assign_kv_bytes(map, ops[k]) > spk_assign_kv_bytes(map, ops[worst]))
			worst = k;
	if (spk_assign_kv_bytes(map, ops[worst]) > KV) {
		const struct spk_op *o = &m->ops[ops[worst]];
		uint64_t b = spk_assign_kv_bytes(map, ops[worst]);

		snprintf(fix, sizeof(fix), "[attention] kv_kib >= %llu",
			 (unsigned long long)((b + 1023) / 1024));
		rc = spk_map_nofit(map, "attention KV memory", "bytes", b, KV, fix,
				   "ATTN '%s' (%u heads of %ux%u counters, %d bits)", o->name, o->heads,
				   o->c_out / o->heads, o->c_out / o->heads,
				   map->arch.attention.counter_bits);
		goto out_free;
	}
	if (n <= map->n_attn) {
		for (uint32_t k = 0; k < n; k++)
			used[k] = spk_assign_kv_bytes(map, ops[k]);
		units = n;
		for (uint32_t k = 0; k < n; k++)
			map->op_node[ops[k]] = map->attn_first + k;
	} else {
		/* First-fit decreasing: larger regions first, program order among equals. */
		for (uint32_t i = 1; i < n; i++) {
			uint32_t x = ops[i], j = i;

			while (j > 0 && spk_assign_kv_bytes(map, ops[j - 1]) <
				       spk_assign_kv_bytes(map, x)) {
				ops[j] = ops[j - 1];
				j--;
			}
			ops[j] = x;
		}
		for (uint32_t k = 0; k < n; k++) {
			uint64_t b = spk_assign_kv_bytes(map, ops[k]);
			uint32_t u;

			for (u = 0; u < units; u++)
				if (used[u] + b <= KV)
					break;
			if (u == units)
				units++;
			used[u] += b;
			map->op_node[ops[k]] = map->attn_first + u;
		}
		if (units > map->n_attn) {
			snprintf(fix, sizeof(fix), "[attention] units >= %u (or a larger kv_kib, so "
				 "that more ATTN ops share a unit)", units);
			rc = spk_map_nofit(map, "attention units", "units", units, map->n_attn, fix,
					   "the %u ATTN ops (KV counters packed into units of %d KiB)",
					   n, map->arch.attention.kv_kib);
			goto out_free;
		}
	}
	/* Items in program order on every unit. */
	for (uint32_t i = 0; i < m->n_ops; i++) {
		struct spk_map_node *u;

		if (m->ops[i].type != SPK_OP_ATTN)
			continue;
		u = &map->nodes[map->op_node[i]];
		if (spk_map_node_add(u, i) < 0) {
			rc = -ENOMEM;
			goto out_free;
		}
		if (!u->used)
			u->order = i;
		u->used = true;
		u->bytes += spk_assign_kv_bytes(map, i);
	}
out_free:
	free(used);
	free(ops);
	return rc;
}

static int assign_encoder(struct spk_map *map)
{
	const struct spk_op *o = &map->m->ops[0];
	const uint64_t WK = (uint64_t)map->arch.encoder.weight_kib * 1024;
	uint32_t U = map->n_enc < o->c_out ? map->n_enc : o->c_out;
	uint32_t gmax = (o->c_out + U - 1) / U;
	char fix[320];

	if (spk_assign_encoder_bytes(map, gmax) > WK) {
		uint64_t need = spk_assign_encoder_bytes(map, gmax);
		uint32_t units = 0;

		for (uint32_t u = U; u <= o->c_out; u++)
			if (spk_assign_encoder_bytes(map, (o->c_out + u - 1) / u) <= WK) {
				units = u;
				break;
			}
		if (units > 0)
			snprintf(fix, sizeof(fix), "[encoder] weight_kib >= %llu, or [encoder] "
				 "units >= %u", (unsigned long long)((need + 1023) / 1024), units);
		else
			snprintf(fix, sizeof(fix), "[encoder] weight_kib >= %llu",
				 (unsigned long long)((need + 1023) / 1024));
		return spk_map_nofit(map, "encoder weight memory", "bytes", need, WK, fix,
				     "ENCODER '%s' (%u of its %u output channels per unit, %u x %u x "
				     "%u weights each)", o->name, gmax, o->c_out, o->c_in, o->kernel,
				     o->kernel);
	}
	for (uint32_t u = 0; u < U; u++) {
		struct spk_map_node *n = &map->nodes[map->enc_first + u];

		n->c0 = (uint32_t)((uint64_t)u * o->c_out / U);
		n->c1 = (uint32_t)((uint64_t)(u + 1) * o->c_out / U);
		n->used = true;
		n->order = 0;
		n->bytes = spk_assign_encoder_bytes(map, n->c1 - n->c0);
		if (spk_map_node_add(n, 0) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int assign_readout(struct spk_map *map)
{
	const struct spk_model *m = map->m;
	struct spk_map_node *n = &map->nodes[map->readout_first];
	const uint32_t head = m->n_ops - 1;
	const struct spk_op *o = &m->ops[head];

	n->used = true;
	n->order = head;
	for (uint32_t p = 0; p < m->n_pops; p++) {
		if (m->pops[p].kind != SPK_POP_MEAN)
			continue;
		n->bytes += 8 * (uint64_t)m->sites[m->pops[p].site].channels;
		for (uint32_t i = 0; i < m->n_ops; i++)
			if (m->ops[i].type == SPK_OP_FIRE && m->ops[i].pop == p && i < n->order)
				n->order = i;
	}
	n->bytes += ((uint64_t)o->c_in * m->classes * map->arch.core.weight_bits + 7) / 8 +
		    8 * (uint64_t)m->classes;
	map->op_node[head] = map->readout_first;
	return spk_map_node_add(n, head);
}

int spk_assign_run(struct spk_map *map)
{
	int rc = assign_attention(map);

	if (rc == 0)
		rc = assign_encoder(map);
	if (rc == 0)
		rc = assign_readout(map);
	return rc;
}
