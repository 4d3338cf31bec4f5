/*
 * unit.c — the shell the four units share: energy of their events, the input FIFO's and the
 * release ring's storage, sending a release; see unit.h.
 */
#include "config.h"

#include "sim/unit.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

double spk_unit_energy_pj(const struct spk_unit_events *ev, const struct spk_arch_energy *e,
			  int weight_bits)
{
	return (double)ev->sops * (e->syn_add_pj + weight_bits * e->weight_read_pj) +
	       (double)ev->graded_adds * e->syn_add_pj +
	       (double)ev->neuron_updates * e->neuron_update_pj +
	       (double)ev->packets_out * e->spike_out_pj +
	       (double)ev->attention_ops * e->attention_op_pj +
	       (double)ev->encoder_macs * e->encoder_mac_pj;
}

void spk_unit_events_add(struct spk_unit_events *sum, const struct spk_unit_events *ev)
{
	sum->sops += ev->sops;
	sum->graded_adds += ev->graded_adds;
	sum->neuron_updates += ev->neuron_updates;
	sum->packets_out += ev->packets_out;
	sum->attention_ops += ev->attention_ops;
	sum->encoder_macs += ev->encoder_macs;
}

int spk_unit_fifo_init(struct spk_unit_fifo *f, uint32_t cap_flits)
{
	memset(f, 0, sizeof(*f));
	f->cap = cap_flits;
	f->slot = calloc(cap_flits + 1, sizeof(*f->slot));
	return f->slot == NULL ? -ENOMEM : 0;
}

void spk_unit_fifo_fini(struct spk_unit_fifo *f)
{
	free(f->slot);
	f->slot = NULL;
}

int spk_unit_releases_init(struct spk_unit_releases *rl, uint32_t routes)
{
	memset(rl, 0, sizeof(*rl));
	rl->cap = routes;
	rl->r = calloc(routes + 1, sizeof(*rl->r));
	return rl->r == NULL ? -ENOMEM : 0;
}

void spk_unit_releases_fini(struct spk_unit_releases *rl)
{
	free(rl->r);
	rl->r = NULL;
}

void spk_unit_releases_push(struct spk_unit_releases *rl, uint32_t route, uint64_t step)
{
	assert(rl->len < rl->cap);	/* one pending release per route at most */
	rl->r[spk_ring_wrap(rl->head + rl->len++, rl->cap)] = (struct spk_unit_release){ route, step };
}

int spk_unit_releases_send(struct spk_unit_releases *rl, const struct spk_unit_in_route *in,
			   uint32_t tile, const struct spk_unit_port *port,
			   struct spk_unit_events *ev, uint64_t x)
{
	const struct spk_unit_release *r;
	struct spk_packet pk = { .src = tile, .flits = 1, .kind = SPK_PACKET_RELEASE };

	if (rl->len == 0)
		return 0;
	r = &rl->r[rl->head];
	pk.dst = in[r->route].src_tile;
	pk.tag = (uint8_t)(r->step & 1);
	pk.axon = in[r->route].src_route;
	if (port->send(port->ctx, &pk) != 0)
		return -EAGAIN;		/* the unit reports the refusal */
	ev->packets_out++;
	if (spk_unit_reporting(port))
		spk_unit_report(port, SPK_ENGINE_SEND, SPK_WORK_SEND, x, 1, UINT32_MAX, r->step, false,
				&pk, 0);
	rl->head = spk_ring_wrap(rl->head + 1, rl->cap);
	rl->len--;
	return 1;
}

void spk_unit_report(const struct spk_unit_port *port, uint8_t engine, uint8_t kind,
		     uint64_t start, uint64_t cycles, uint32_t layer, uint64_t step, bool busy,
		     const struct spk_packet *pkt, uint64_t arrival)
{
	struct spk_unit_work w = { .start = start, .cycles = cycles, .step = step, .layer = layer,
				   .engine = engine, .kind = kind, .busy = busy, .pkt = pkt,
				   .arrival = arrival };

	port->work(port->ctx, &w);
}
