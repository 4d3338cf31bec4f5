/*
 * timeline.c — the Chrome trace-event writer of `spikechip sim --timeline` (see timeline.h;
 * the format is the "JSON Object Format" of the Trace Event Format document: a traceEvents
 * array of "M" metadata, "X" complete, "C" counter and "i" instant events, plus otherData).
 *
 * Process ids: tile t's unit is pid t + 1, its router pid n_tiles + t + 1; thread ids are the
 * engine + 1 (receive 1, fire 2, send 3) and 1 for a router. A track's names are written the
 * first time it has an event, so unused tiles have none. Spans arrive per (tile, engine) in
 * cycle order (each engine's work never overlaps its own); one is kept pending until the next
 * one does not continue it, then clipped to the window and written. Events are not sorted by
 * time across tracks: the viewers sort them.
 */
#include "config.h"

#include "sim/timeline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct span {
	uint64_t start, end;		/* [start, end); end == start: none pending */
	uint64_t step;
	uint32_t layer;
	uint32_t n;			/* pieces of work merged */
	uint8_t kind;
	bool busy;
};

struct spk_timeline {
	FILE *f;
	const struct spk_image *img;
	uint64_t from, to;
	bool routers;
	uint32_t n_tiles, T;
	bool any;			/* an event written (comma before the next) */
	struct span *unit;		/* [n_tiles·SPK_ENGINES] */
	struct span *router;		/* [n_tiles] (kind, layer unused; n = flits) */
	uint32_t *fifo, *queue;		/* [n_tiles] last counters written; UINT32_MAX: none */
	uint8_t *named;			/* [2·n_tiles]: unit / router track names written */
	char **layer;			/* [n_steps] the steps' names, JSON-escaped */
};

static const char *const kind_names[SPK_WORK_KINDS] = {
	"spike", "graded", "token", "release", "fire", "head", "attention", "MACs", "send",
	"NI refused",
};

/* A JSON string's content for s (quotes, backslashes and control characters escaped). */
static char *json_escape(const char *s)
{
	size_t n = strlen(s);
	char *o = malloc(6 * n + 1), *p = o;

	if (o == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			*p++ = '\\';
			*p++ = (char)ch;
		} else if (ch < 0x20) {
			p += sprintf(p, "\\u%04x", ch);
		} else {
			*p++ = (char)ch;
		}
	}
	*p = '\0';
	return o;
}

struct spk_timeline *spk_timeline_create(FILE *f, const struct spk_image *img,
					 const struct spk_arch *a, uint64_t from, uint64_t to,
					 bool routers)
{
	struct spk_timeline *tl = calloc(1, sizeof(*tl));
	uint32_t n;

	if (tl == NULL)
		return NULL;
	n = img->n_tiles;
	tl->f = f;
	tl->img = img;
	tl->from = from;
	tl->to = to;
	tl->routers = routers;
	tl->n_tiles = n;
	tl->T = img->time_steps;
	tl->unit = calloc((size_t)n * SPK_ENGINES, sizeof(*tl->unit));
	tl->router = calloc(n, sizeof(*tl->router));
	tl->fifo = malloc(n * sizeof(*tl->fifo));
	tl->queue = malloc(n * sizeof(*tl->queue));
	tl->named = calloc(2 * (size_t)n, 1);
	tl->layer = calloc(img->n_steps + 1, sizeof(*tl->layer));
	if (tl->unit == NULL || tl->router == NULL || tl->fifo == NULL || tl->queue == NULL ||
	    tl->named == NULL || tl->layer == NULL)
		goto out_free;
	for (uint32_t s = 0; s < img->n_steps; s++)
		if ((tl->layer[s] = json_escape(img->steps[s].name)) == NULL)
			goto out_free;
	memset(tl->fifo, 0, n * sizeof(*tl->fifo));
	memset(tl->queue, 0, n * sizeof(*tl->queue));
	fprintf(f, "{\"otherData\":{\"time_unit\":\"cycle: one unit of the time axis (shown as "
		"1 us) is one chip cycle\",\"clock_mhz\":%g,\"from_cycle\":%" PRIu64 ",\"to_cycle\":",
		a->chip.clock_mhz, from);
	if (to == UINT64_MAX)
		fprintf(f, "null");
	else
		fprintf(f, "%" PRIu64, to);
	fprintf(f, ",\"mesh\":\"%ux%u\",\"time_steps\":%u},\n\"traceEvents\":[", img->mesh_x,
		img->mesh_y, img->time_steps);
	return tl;
out_free:
	spk_timeline_destroy(tl);
	return NULL;
}

void spk_timeline_destroy(struct spk_timeline *tl)
{
	if (tl == NULL)
		return;
	if (tl->layer != NULL)
		for (uint32_t s = 0; s < tl->img->n_steps; s++)
			free(tl->layer[s]);
	free(tl->layer);
	free(tl->unit);
	free(tl->router);
	free(tl->fifo);
	free(tl->queue);
	free(tl->named);
	free(tl);
}

bool spk_timeline_routers(const struct spk_timeline *tl)
{
	return tl->routers;
}

/* Starts an event: the separator. */
static void event(struct spk_timeline *tl)
{
	fputs(tl->any ? ",\n" : "\n", tl->f);
	tl->any = true;
}

static void meta(struct spk_timeline *tl, uint32_t pid, int tid, const char *what,
		 const char *key, const char *sval, uint64_t ival)
{
	event(tl);
	fprintf(tl->f, "{\"ph\":\"M\",\"pid\":%u,", pid);
	if (tid >= 0)
		fprintf(tl->f, "\"tid\":%d,", tid);
	if (sval != NULL)
		fprintf(tl->f, "\"name\":\"%s\",\"args\":{\"%s\":\"%s\"}}", what, key, sval);
	else
		fprintf(tl->f, "\"name\":\"%s\",\"args\":{\"%s\":%" PRIu64 "}}", what, key, ival);
}

/* The names of tile t's unit track (router: its router's), once. */
static void name_track(struct spk_timeline *tl, uint32_t t, bool router)
{
	static const char *const engines[5][SPK_ENGINES] = {
		[SPK_TILE_CORE] = { "receive", "fire", "send" },
		[SPK_TILE_ATTENTION] = { "receive", "compute (Q·KV)", "send" },
		[SPK_TILE_ENCODER] = { "receive (releases)", "MACs", "send" },
		[SPK_TILE_READOUT] = { "receive", "fire and head", "send (releases)" },
	};
	const struct spk_image_tile *tile = &tl->img->tiles[t];
	uint32_t pid = router ? tl->n_tiles + t + 1 : t + 1;
	char name[96];

	if (tl->named[2 * t + router])
		return;
	tl->named[2 * t + router] = 1;
	snprintf(name, sizeof(name), "%s (%u,%u) tile %u",
		 router ? "router" : spk_image_tile_kind_name(tile->kind), tile->x, tile->y, t);
	meta(tl, pid, -1, "process_name", "name", name, 0);
	meta(tl, pid, -1, "process_sort_index", "sort_index", NULL, router ? tl->n_tiles + t : t);
	if (router) {
		meta(tl, pid, 1, "thread_name", "name", "flits forwarded", 0);
		return;
	}
	for (int e = 0; e < SPK_ENGINES; e++) {
		meta(tl, pid, e + 1, "thread_name", "name", engines[tile->kind % 5][e] != NULL ?
		     engines[tile->kind % 5][e] : "?", 0);
		meta(tl, pid, e + 1, "thread_sort_index", "sort_index", NULL, (uint64_t)e);
	}
}

/* Writes span s of tile t, engine e, clipped to the window. */
static void write_span(struct spk_timeline *tl, uint32_t t, unsigned e, const struct span *s)
{
	uint64_t a = s->start > tl->from ? s->start : tl->from;
	uint64_t b = s->end < tl->to ? s->end : tl->to;
	const char *cat;

	if (a >= b)
		return;
	name_track(tl, t, false);
	cat = s->busy ? "busy" : s->kind == SPK_WORK_REFUSED ? "refused" :
		e == SPK_ENGINE_RECEIVE ? "receive" : e == SPK_ENGINE_FIRE ? "fire" : "send";
	event(tl);
	fprintf(tl->f, "{\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"ts\":%" PRIu64 ",\"dur\":%" PRIu64
		",\"cat\":\"%s\",\"name\":\"%s\",\"args\":{\"what\":\"%s\",\"n\":%u", t + 1, e + 1,
		a, b - a, cat,
		s->layer < tl->img->n_steps ? tl->layer[s->layer] : kind_names[s->kind],
		kind_names[s->kind], s->n);
	if (s->step != UINT64_MAX)
		fprintf(tl->f, ",\"image\":%" PRIu64 ",\"t\":%" PRIu64, s->step / tl->T,
			s->step % tl->T);
	fputs("}}", tl->f);
}

void spk_timeline_work(struct spk_timeline *tl, uint32_t tile, const struct spk_unit_work *w)
{
	struct span *p = &tl->unit[(size_t)tile * SPK_ENGINES + w->engine];

	if (w->cycles == 0)
		return;
	if (p->end > p->start) {
		if (p->end == w->start && p->kind == w->kind && p->layer == w->layer &&
		    p->step == w->step && p->busy == w->busy) {
			p->end += w->cycles;
			p->n++;
			return;
		}
		write_span(tl, tile, w->engine, p);
	}
	*p = (struct span){ .start = w->start, .end = w->start + w->cycles, .step = w->step,
			    .layer = w->layer, .n = 1, .kind = w->kind, .busy = w->busy };
}

void spk_timeline_queues(struct spk_timeline *tl, uint32_t tile, uint64_t x, uint32_t fifo,
			 uint32_t queue)
{
	if (x < tl->from || x >= tl->to || (tl->fifo[tile] == fifo && tl->queue[tile] == queue))
		return;
	tl->fifo[tile] = fifo;
	tl->queue[tile] = queue;
	name_track(tl, tile, false);
	event(tl);
	fprintf(tl->f, "{\"ph\":\"C\",\"pid\":%u,\"ts\":%" PRIu64 ",\"name\":\"queues\",\"args\":"
		"{\"input_fifo_flits\":%u,\"output_queue\":%u}}", tile + 1, x, fifo, queue);
}

static void write_router(struct spk_timeline *tl, uint32_t t, const struct span *s)
{
	uint64_t a = s->start > tl->from ? s->start : tl->from;
	uint64_t b = s->end < tl->to ? s->end : tl->to;

	if (a >= b)
		return;
	name_track(tl, t, true);
	event(tl);
	fprintf(tl->f, "{\"ph\":\"X\",\"pid\":%u,\"tid\":1,\"ts\":%" PRIu64 ",\"dur\":%" PRIu64
		",\"cat\":\"router\",\"name\":\"flits\",\"args\":{\"flits\":%u}}",
		tl->n_tiles + t + 1, a, b - a, s->n);
}

void spk_timeline_router(struct spk_timeline *tl, uint32_t tile, uint64_t x, uint32_t flits)
{
	struct span *p = &tl->router[tile];

	if (p->end > p->start) {
		if (p->end == x) {
			p->end++;
			p->n += flits;
			return;
		}
		write_router(tl, tile, p);
	}
	*p = (struct span){ .start = x, .end = x + 1, .n = flits };
}

void spk_timeline_image(struct spk_timeline *tl, uint32_t image, uint64_t in, uint64_t out)
{
	const uint64_t at[2] = { in, out };

	for (int k = 0; k < 2; k++) {
		if (at[k] < tl->from || at[k] >= tl->to)
			continue;
		event(tl);
		fprintf(tl->f, "{\"ph\":\"i\",\"s\":\"g\",\"pid\":0,\"tid\":0,\"ts\":%" PRIu64
			",\"name\":\"image %u %s\"}", at[k], image, k == 0 ? "in" : "class out");
	}
}

int spk_timeline_finish(struct spk_timeline *tl)
{
	for (uint32_t t = 0; t < tl->n_tiles; t++) {
		for (unsigned e = 0; e < SPK_ENGINES; e++) {
			struct span *p = &tl->unit[(size_t)t * SPK_ENGINES + e];

			if (p->end > p->start)
				write_span(tl, t, e, p);
			p->end = p->start;
		}
		if (tl->router[t].end > tl->router[t].start)
			write_router(tl, t, &tl->router[t]);
		tl->router[t].end = tl->router[t].start;
	}
	fputs("\n]}\n", tl->f);
	return ferror(tl->f) ? -EIO : 0;
}
