/*
 * critpath.c — the critical path of every image (see critpath.h for the rules).
 *
 * Storage: per (tile, engine) a growing array of work records in cycle order (an engine's work
 * never overlaps its own, so start cycles ascend and a binary search finds the last record
 * starting before a cycle). Contributors are summed in an open-addressing table keyed by
 * (tile, layer, cause); per image, the cycles of each cause.
 */
#include "config.h"

#include "sim/critpath.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct rec {
	uint64_t start, end;
	uint64_t inject, arrival;	/* receive: the first packet's */
	uint32_t layer;
	uint32_t src;			/* receive: its source tile */
	uint8_t kind;			/* enum spk_work_kind */
	uint8_t pkind;			/* receive: its packet kind */
};

struct track {
	struct rec *r;
	size_t n, cap;
};

struct slot {
	uint64_t key;			/* tile << 36 | layer << 4 | cause, + 1; 0: empty */
	uint64_t cycles;
};

struct spk_critpath {
	uint32_t n_tiles;
	uint32_t base;
	struct track *tr;		/* [n_tiles·SPK_ENGINES] */
	struct slot *tab;
	size_t tab_cap, tab_n;
	struct spk_cp_entry *top;
	uint64_t *by_image;		/* [cap_images·SPK_CP_CAUSES] */
	uint8_t *walked;		/* [cap_images] */
	uint32_t n_images, cap_images;
};

static const char *const cause_names[SPK_CP_CAUSES] = {
	"synaptic adds", "receive", "fire", "attention", "encoder MACs", "head", "send",
	"NI refused", "network", "waiting for tokens", "waiting for releases", "idle",
};

const char *spk_cp_cause_name(enum spk_cp_cause c)
{
	return (unsigned)c < SPK_CP_CAUSES ? cause_names[c] : "?";
}

struct spk_critpath *spk_critpath_create(uint32_t n_tiles)
{
	struct spk_critpath *cp = calloc(1, sizeof(*cp));

	if (cp == NULL)
		return NULL;
	cp->n_tiles = n_tiles;
	cp->tr = calloc((size_t)n_tiles * SPK_ENGINES, sizeof(*cp->tr));
	cp->tab_cap = 1024;
	cp->tab = calloc(cp->tab_cap, sizeof(*cp->tab));
	if (cp->tr == NULL || cp->tab == NULL) {
		spk_critpath_destroy(cp);
		return NULL;
	}
	return cp;
}

void spk_critpath_destroy(struct spk_critpath *cp)
{
	if (cp == NULL)
		return;
	if (cp->tr != NULL)
		for (size_t i = 0; i < (size_t)cp->n_tiles * SPK_ENGINES; i++)
			free(cp->tr[i].r);
	free(cp->tr);
	free(cp->tab);
	free(cp->top);
	free(cp->by_image);
	free(cp->walked);
	free(cp);
}

void spk_critpath_begin(struct spk_critpath *cp, uint32_t base)
{
	cp->base = base;
	for (size_t i = 0; i < (size_t)cp->n_tiles * SPK_ENGINES; i++)
		cp->tr[i].n = 0;
}

int spk_critpath_work(struct spk_critpath *cp, uint32_t tile, const struct spk_unit_work *w)
{
	struct track *t = &cp->tr[(size_t)tile * SPK_ENGINES + w->engine];
	struct rec *last = t->n > 0 ? &t->r[t->n - 1] : NULL;

	if (w->cycles == 0)
		return 0;
	assert(last == NULL || w->start >= last->end);
	if (last != NULL && last->end == w->start && last->kind == w->kind &&
	    last->layer == w->layer) {
		last->end += w->cycles;
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap == 0 ? 256 : 2 * t->cap;
		struct rec *r = realloc(t->r, cap * sizeof(*r));

		if (r == NULL)
			return -ENOMEM;
		t->r = r;
		t->cap = cap;
	}
	t->r[t->n++] = (struct rec){
		.start = w->start, .end = w->start + w->cycles, .layer = w->layer, .kind = w->kind,
		.inject = w->pkt != NULL ? w->pkt->id : 0, .arrival = w->arrival,
		.src = w->pkt != NULL ? w->pkt->src : tile,
		.pkind = w->pkt != NULL ? w->pkt->kind : 0 };
	return 0;
}

/* ---- contributors ------------------------------------------------------------------------------ */

static uint64_t hash(uint64_t k)
{
	k ^= k >> 33;
	k *= UINT64_C(0xff51afd7ed558ccd);
	k ^= k >> 33;
	return k;
}

static struct slot *slot_of(struct slot *tab, size_t cap, uint64_t key)
{
	size_t i = hash(key) & (cap - 1);

	while (tab[i].key != 0 && tab[i].key != key)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static int add(struct spk_critpath *cp, uint64_t *by, uint32_t tile, uint32_t layer,
	       unsigned cause, uint64_t cycles)
{
	uint64_t key = ((uint64_t)tile << 36 | (uint64_t)(layer & 0xffffffffu) << 4 | cause) + 1;
	struct slot *s;

	if (cycles == 0)
		return 0;
	by[cause] += cycles;
	if (2 * (cp->tab_n + 1) > cp->tab_cap) {
		size_t cap = 2 * cp->tab_cap;
		struct slot *tab = calloc(cap, sizeof(*tab));

		if (tab == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < cp->tab_cap; i++)
			if (cp->tab[i].key != 0)
				*slot_of(tab, cap, cp->tab[i].key) = cp->tab[i];
		free(cp->tab);
		cp->tab = tab;
		cp->tab_cap = cap;
	}
	s = slot_of(cp->tab, cp->tab_cap, key);
	if (s->key == 0) {
		s->key = key;
		cp->tab_n++;
	}
	s->cycles += cycles;
	return 0;
}

/* ---- the walk ---------------------------------------------------------------------------------- */

static unsigned work_cause(uint8_t kind)
{
	switch (kind) {
	case SPK_WORK_SPIKE: return SPK_CP_ADDS;
	case SPK_WORK_GRADED:
	case SPK_WORK_TOKEN:
	case SPK_WORK_RELEASE: return SPK_CP_RECEIVE;
	case SPK_WORK_FIRE: return SPK_CP_FIRE;
	case SPK_WORK_HEAD: return SPK_CP_HEAD;
	case SPK_WORK_ATTN: return SPK_CP_ATTN;
	case SPK_WORK_MAC: return SPK_CP_MAC;
	case SPK_WORK_SEND: return SPK_CP_SEND;
	default: return SPK_CP_REFUSED;
	}
}

static unsigned net_cause(uint8_t pkind)
{
	return pkind == SPK_PACKET_TOKEN ? SPK_CP_TOKEN :
	       pkind == SPK_PACKET_RELEASE ? SPK_CP_RELEASE : SPK_CP_NETWORK;
}

/* The last record of t starting before cycle c, or NULL. */
static const struct rec *before(const struct track *t, uint64_t c)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->r[mid].start < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? NULL : &t->r[lo - 1];
}

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

int spk_critpath_image(struct spk_critpath *cp, uint32_t image, uint64_t in, uint64_t out,
		       uint32_t tile)
{
	uint32_t i = cp->base + image, t = tile;
	unsigned e = SPK_ENGINE_FIRE;
	uint64_t c = out, *by;
	const struct rec *cur = NULL;
	int rc = 0;

	if (i >= cp->cap_images) {
		uint32_t cap = cp->cap_images == 0 ? 64 : cp->cap_images;
		uint64_t *b;
		uint8_t *wk;

		while (cap <= i)
			cap *= 2;
		b = realloc(cp->by_image, (size_t)cap * SPK_CP_CAUSES * sizeof(*b));
		if (b == NULL)
			return -ENOMEM;
		cp->by_image = b;
		wk = realloc(cp->walked, cap);
		if (wk == NULL)
			return -ENOMEM;
		cp->walked = wk;
		memset(b + (size_t)cp->cap_images * SPK_CP_CAUSES, 0,
		       (size_t)(cap - cp->cap_images) * SPK_CP_CAUSES * sizeof(*b));
		memset(wk + cp->cap_images, 0, cap - cp->cap_images);
		cp->cap_images = cap;
	}
	if (i >= cp->n_images)
		cp->n_images = i + 1;
	by = cp->by_image + (size_t)i * SPK_CP_CAUSES;
	memset(by, 0, SPK_CP_CAUSES * sizeof(*by));
	cp->walked[i] = 1;
	while (c > in && rc == 0) {
		const struct track *tr = &cp->tr[(size_t)t * SPK_ENGINES + e];
		const struct rec *p = before(tr, c);
		uint64_t gap = p != NULL ? p->end : 0;

		if (p != NULL && p->end >= c) {
			/* the engine's own previous work ran up to c */
			rc = add(cp, by, t, p->layer, work_cause(p->kind), c - max64(p->start, in));
			c = p->start;
			cur = p;
			continue;
		}
		if (e == SPK_ENGINE_RECEIVE && cur != NULL && cur->kind <= SPK_WORK_RELEASE &&
		    cur->arrival >= gap && cur->arrival <= c && cur->inject <= cur->arrival) {
			/* the packet taken at c arrived then: its time in the network */
			uint64_t a = cur->arrival;

			rc = add(cp, by, t, cur->layer, SPK_CP_IDLE, c - max64(a, in));
			if (a > in && rc == 0)
				rc = add(cp, by, cur->src, cur->layer, net_cause(cur->pkind),
					 a - max64(cur->inject, in));
			c = cur->inject;
			t = cur->src;
			e = SPK_ENGINE_SEND;
			cur = NULL;
			continue;
		}
		if (e == SPK_ENGINE_SEND) {
			/* what it sent came from the fire engine (or, as a release, its end) */
			e = SPK_ENGINE_FIRE;
			cur = NULL;
			continue;
		}
		if (e == SPK_ENGINE_FIRE) {
			/* it waited for the receive engine: the last work it took */
			const struct rec *r = before(&cp->tr[(size_t)t * SPK_ENGINES], c);

			if (r != NULL && r->end > gap) {
				uint64_t at = r->end < c ? r->end : c;

				rc = add(cp, by, t, cur != NULL ? cur->layer : r->layer, SPK_CP_IDLE,
					 c - max64(at, in));
				c = at;
				e = SPK_ENGINE_RECEIVE;
				cur = NULL;
				continue;
			}
		}
		/* nothing explains the gap */
		rc = add(cp, by, t, cur != NULL ? cur->layer : UINT32_MAX, SPK_CP_IDLE,
			 c - max64(gap, in));
		c = gap;
		cur = NULL;
	}
	return rc;
}

/* ---- results ----------------------------------------------------------------------------------- */

static int entry_cmp(const void *a, const void *b)
{
	const struct spk_cp_entry *x = a, *y = b;

	if (x->cycles != y->cycles)
		return x->cycles > y->cycles ? -1 : 1;
	if (x->tile != y->tile)
		return x->tile < y->tile ? -1 : 1;
	if (x->layer != y->layer)
		return x->layer < y->layer ? -1 : 1;
	return x->cause < y->cause ? -1 : x->cause > y->cause;
}

const struct spk_cp_entry *spk_critpath_top(struct spk_critpath *cp, size_t *n)
{
	size_t k = 0;

	free(cp->top);
	cp->top = malloc((cp->tab_n + 1) * sizeof(*cp->top));
	if (cp->top == NULL) {
		*n = 0;
		return NULL;
	}
	for (size_t i = 0; i < cp->tab_cap; i++) {
		uint64_t key = cp->tab[i].key - 1;

		if (cp->tab[i].key == 0)
			continue;
		cp->top[k++] = (struct spk_cp_entry){ .tile = (uint32_t)(key >> 36),
						      .layer = (uint32_t)(key >> 4),
						      .cause = (uint32_t)(key & 15),
						      .cycles = cp->tab[i].cycles };
	}
	qsort(cp->top, k, sizeof(*cp->top), entry_cmp);
	*n = k;
	return cp->top;
}

uint32_t spk_critpath_images(const struct spk_critpath *cp)
{
	return cp->n_images;
}

const uint64_t *spk_critpath_image_causes(const struct spk_critpath *cp, uint32_t i)
{
	if (i >= cp->n_images || !cp->walked[i])
		return NULL;
	return cp->by_image + (size_t)i * SPK_CP_CAUSES;
}
