// encoder — the tile that computes the first (pixel-reading) conv, the chip's only
// multiply-accumulate layer, once per image: the RTL of sim/encoder.c, cycle for cycle.
// doc/architecture.md §8 "Encoder" and §9 are the contract, doc/semantics.md §4 the arithmetic,
// doc/rtl.md "encoder" the port contract and the load-port map.
//
// Image port. Image n (counted from 0 after reset) lives in pixel bank n mod PixBanks. The chip
// top writes its pixels through the load port (region 6, below) in cycles before it puts the
// image in with img_valid_i, at any time after image n − PixBanks is done (its marker queued:
// images_o > n − PixBanks): with three banks, image n + 1 can be written while image n − 1 is
// computed and image n waits in the port, so that the image is put in exactly when the C model
// is given it. The image is in from the cycle of img_valid_i (spk_encoder_image_in(px, x)).
// img_ready_o is spk_encoder_can_take_image(): low from the cycle after an image is put in until
// the cycle after the encoder takes it.
//
// Start. The encoder takes the image in the first cycle in which it is in, the previous image
// is done (its end-of-image marker queued) and every ENCODER route has been released for the
// previous image (a release taken in cycle x counts from x + 1). Its first MACs are done in that
// cycle.
//
// MAC array. Macs lanes (the config's macs of them used) each do one MAC per cycle, walking the
// dense MAC sequence of the image in (o, y, x, c_in, ky, kx) order: lane l of a cycle does MAC
// number mac + l, where mac counts the MACs done before; a padded tap is a MAC that adds
// nothing. A cycle's lanes may span several elements: an element is complete in the cycle its
// last MAC is done; it is requantized there, E = ((acc·M + 2^23) >> 24) + bias
// (doc/semantics.md §4), and if E ≠ 0 it is an item. The end-of-image marker is an item that
// completes with the last element. The cycle's items go into the output queue in order, as many
// as the queue had free at the start of the cycle; the others wait (pend_q) and the MAC array
// holds in every cycle that begins with items waiting (stall_cycles), pushing them as room
// allows. This is the C model's mac_q / nz_pos bookkeeping done one cycle at a time.
//
// Output queue. OutQueue entries (the config's output_queue of them used), each a graded event
// (channel, row, column, its value clamped to 32 bits) or a marker, with the image's parity.
// One packet per cycle leaves the head through the shell: a graded event to the ENCODER route
// whose block holds (c0 + o, y) with axon base + element index in the destination piece, or the
// marker's tokens, one per route in table order (none if the encoder has no route). The shell
// counts packets_out and send_refused.
//
// Receive. Releases arrive in the input FIFO (the shell); one is taken per cycle, in the cycle
// it is the head: the route is released for the image in flight from the next cycle.
//
// Widths (exact for every value sim/encoder.c computes without int64 overflow):
//   - weights int16, pixels uint8, zero points int16 (doc/semantics.md §4: round(255·mean), in
//     [0, 255]): one product w·(p − z) lies in (−2^31, 2^31);
//   - acc: AccBits = 32 + ⌈log2 MaxWeights⌉ (an element sums k²·c_in ≤ MaxWeights products);
//   - M: signed 32 bits (the quantizer makes M < 2^31); acc·M in AccBits + 32 bits, exact;
//   - bias and E: 64 bits, as the C model's int64 (E is clamped to 32 bits when it is sent,
//     counted in graded_clamped);
//   - axons: 32-bit arithmetic, as the C model's uint32, sent in PayloadBits (the mapper checks
//     that every axon fits).
// The loader (rtl/encoder_load.cpp) refuses what does not fit these widths or the parameters.
//
// Load port (load_we_i, load_addr_i, load_data_i), one 64-bit write per cycle; region =
// load_addr_i[31:28], index i = load_addr_i[27:0]. Regions 0-5 are written after reset, before
// the first image; region 6 (pixels) at any time, into a bank no image in flight or in the port
// uses (Image port, above).
//   0  geometry register i: 0 c_in, 1 h_in, 2 w_in, 3 kernel, 4 stride, 5 pad, 6 h_out, 7 w_out,
//      8 channels, 9 n_routes, 10 output_queue (entries used, <= OutQueue), 11 macs (lanes used,
//      <= Macs)
//   1  zero point of input channel i (int16 in data[15:0])
//   2  multiplier of local channel i (int32 in data[31:0])
//   3  bias of local channel i (int64)
//   4  weight i, C order [c_in][kernel][kernel][channels] (int16 in data[15:0])
//   5  route r = i / 8, field i % 8: 0 local channel range data[15:0] lo, data[31:16] hi
//      (c − c0); 1 row range data[15:0] y0, data[31:16] y1; 2 axon term A (uint32:
//      axon_base + ((c0 − pc0)·prows − py0)·w_out mod 2^32, so axon = A + (o·prows + y)·w_out
//      + x); 3 prows (uint32); 4 destination NoC address; 5 destination route index
//   6  bank b = i[27:24], pixel word w = i[23:0]: pixels 8w..8w+7 of [c_in][h_in][w_in] of the
//      image in bank b, pixel 8w in data[7:0]
//
// Limits: the weights and pixels sit in flops with a read port per lane (Macs lanes read any
// tap in a cycle), not behind rtl/sram_1p.sv; each lane has its own requantizer.
module encoder #(
  parameter int unsigned FifoFlits   = 64,    // [core] input_fifo: flits of the input FIFO
  parameter int unsigned OutQueue    = 64,    // [core] output_queue: most output-queue entries
  parameter int unsigned Macs        = 64,    // [encoder] macs: MAC lanes
  parameter int unsigned MaxPixels   = 4096,  // most pixels of an image (c_in·h_in·w_in), a multiple of 8
  parameter int unsigned PixBanks    = 3,     // pixel banks (images written ahead), 2..16
  parameter int unsigned MaxWeights  = 4096,  // most weights (c_in·kernel²·channels): 8 KiB at 16 bits
  parameter int unsigned MaxCin      = 4,     // most input channels
  parameter int unsigned MaxChannels = 64,    // most output channels computed here
  parameter int unsigned Routes      = 32,    // most ENCODER routes
  parameter int unsigned DimBits     = 8      // bits of h_in, w_in, kernel, stride, pad, h_out, w_out
) (
  input  logic                                clk_i,             // the chip clock
  input  logic                                rst_ni,            // asynchronous reset, active low
  // NI -> encoder: the packet arriving in this cycle (ni.sv rx_*)
  input  logic                                rx_valid_i,        // a packet arrives in this cycle
  input  logic [1:0]                          rx_kind_i,         // its kind (releases only)
  input  logic                                rx_tag_i,          // its tag (parity of the image released)
  input  logic [spk_noc_pkg::PayloadBits-1:0] rx_axon_i,         // its payload: the route released
  input  logic [31:0]                         rx_value_i,        // its graded value (unused by releases)
  output logic [spk_noc_pkg::CreditBits-1:0]  rx_credit_o,       // input flits freed in this cycle
  // encoder -> NI (ni.sv tx_*)
  output logic                                tx_valid_o,        // a packet is offered in this cycle
  output logic [1:0]                          tx_kind_o,         // its kind: graded or token
  output logic                                tx_mc_o,           // multicast (never)
  output logic [spk_noc_pkg::AddrBits-1:0]    tx_addr_o,         // destination address x·2^YBits + y
  output logic                                tx_tag_o,          // parity of the image
  output logic [spk_noc_pkg::PayloadBits-1:0] tx_payload_o,      // axon (graded) or route index (token)
  output logic [31:0]                         tx_value_o,        // graded value
  input  logic                                tx_ready_i,        // the NI takes it in this cycle
  // image port
  input  logic                                img_valid_i,       // an image is put in in this cycle
  output logic                                img_ready_o,       // the input port is free
  // load port (the map in the header)
  input  logic                                load_we_i,         // a write in this cycle
  input  logic [31:0]                         load_addr_i,       // region and index
  input  logic [63:0]                         load_data_i,       // the word
  // counters (struct spk_encoder_stats)
  output logic [63:0]                         packets_in_o,      // releases taken
  output logic [63:0]                         packets_out_o,     // packets the NI took (ev.packets_out)
  output logic [63:0]                         send_refused_o,    // offers the NI refused
  output logic [63:0]                         encoder_macs_o,    // MACs done (ev.encoder_macs)
  output logic [63:0]                         images_o,          // images done (marker queued)
  output logic [63:0]                         outputs_o,         // graded events queued
  output logic [63:0]                         compute_cycles_o,  // cycles the MAC array advanced
  output logic [63:0]                         stall_cycles_o,    // cycles it held for queue room
  output logic [63:0]                         graded_clamped_o,  // events sent clamped to 32 bits
  output logic [31:0]                         fifo_peak_o,       // most flits in the input FIFO
  output logic [31:0]                         queue_peak_o       // most entries in the output queue
);

  localparam int unsigned PB = spk_noc_pkg::PayloadBits;
  localparam int unsigned AB = spk_noc_pkg::AddrBits;
  localparam int unsigned DB = DimBits;
  localparam int unsigned CiBits = $clog2(MaxCin > 1 ? MaxCin : 2);         // an input channel
  localparam int unsigned CiBitsP1 = CiBits + 1;
  localparam int unsigned ChBits = $clog2(MaxChannels > 1 ? MaxChannels : 2);  // a local channel
  localparam int unsigned ChCountBits = $clog2(MaxChannels + 1);
  localparam int unsigned RouteBits = $clog2(Routes > 1 ? Routes : 2);
  localparam int unsigned RouteCountBits = $clog2(Routes + 1);
  localparam int unsigned QBits = $clog2(OutQueue > 1 ? OutQueue : 2);
  localparam int unsigned QBitsP1 = QBits + 1;
  localparam int unsigned QCountBits = $clog2(OutQueue + 1);
  localparam int unsigned LaneCountBits = $clog2(Macs + 1);
  localparam int unsigned Items = Macs + 1;  // most items a cycle completes: an element per lane, the marker
  localparam int unsigned ItemCountBits = $clog2(Items + 1);
  localparam int unsigned ItemIdxBits = $clog2(Items);
  localparam int unsigned PixBits = $clog2(MaxPixels > 1 ? MaxPixels : 2);
  localparam int unsigned WBits = $clog2(MaxWeights > 1 ? MaxWeights : 2);
  localparam int unsigned AccBits = 32 + $clog2(MaxWeights > 1 ? MaxWeights : 2);
  localparam int unsigned ProdBits = AccBits + 32;
  localparam int unsigned CoordBits = 2 * DB + 2;  // oy·stride + ky − pad, signed
  localparam int unsigned PixWords = (MaxPixels + 7) / 8;

  // ---- configuration (load port) --------------------------------------------------------
  logic [CiBits:0]         c_in_q;
  logic [DB-1:0]           h_in_q, w_in_q, kernel_q, stride_q, pad_q, h_out_q, w_out_q;
  logic [ChCountBits-1:0]  channels_q;
  logic [RouteCountBits-1:0] n_routes_q;
  logic [QCountBits-1:0]   cap_q;
  logic [LaneCountBits-1:0] macs_q;
  logic [15:0]             zero_q [MaxCin];
  logic [31:0]             mult_q [MaxChannels];
  logic [63:0]             bias_q [MaxChannels];
  logic [15:0]             w_q [MaxWeights];
  logic [ChCountBits-1:0]  r_clo_q [Routes], r_chi_q [Routes];
  logic [DB-1:0]           r_y0_q [Routes], r_y1_q [Routes];
  logic [31:0]             r_axon_q [Routes], r_prows_q [Routes];
  logic [AB-1:0]           r_addr_q [Routes];
  logic [PB-1:0]           r_dst_q [Routes];
  logic [7:0]              px_q [PixBanks][MaxPixels];

  logic [3:0]  ld_region;
  logic [27:0] ld_idx;
  assign ld_region = load_addr_i[31:28];
  assign ld_idx = load_addr_i[27:0];

  localparam int unsigned BankBits = $clog2(PixBanks);
  logic [BankBits-1:0] ld_bank;
  logic [23:0]         ld_word;
  assign ld_bank = BankBits'(ld_idx[27:24]);
  assign ld_word = ld_idx[23:0];

  // Written in place (register files, like the shell's tables), never reset: the load port
  // fills them before use.
  always_ff @(posedge clk_i) begin
    if (load_we_i) begin
      if (ld_region == 4'd0) begin
        if (ld_idx == 28'd0) c_in_q <= CiBitsP1'(load_data_i);
        if (ld_idx == 28'd1) h_in_q <= DB'(load_data_i);
        if (ld_idx == 28'd2) w_in_q <= DB'(load_data_i);
        if (ld_idx == 28'd3) kernel_q <= DB'(load_data_i);
        if (ld_idx == 28'd4) stride_q <= DB'(load_data_i);
        if (ld_idx == 28'd5) pad_q <= DB'(load_data_i);
        if (ld_idx == 28'd6) h_out_q <= DB'(load_data_i);
        if (ld_idx == 28'd7) w_out_q <= DB'(load_data_i);
        if (ld_idx == 28'd8) channels_q <= ChCountBits'(load_data_i);
        if (ld_idx == 28'd9) n_routes_q <= RouteCountBits'(load_data_i);
        if (ld_idx == 28'd10) cap_q <= QCountBits'(load_data_i);
        if (ld_idx == 28'd11) macs_q <= LaneCountBits'(load_data_i);
      end
      if (ld_region == 4'd1 && ld_idx < 28'(MaxCin)) zero_q[CiBits'(ld_idx)] <= load_data_i[15:0];
      if (ld_region == 4'd2 && ld_idx < 28'(MaxChannels)) mult_q[ChBits'(ld_idx)] <= load_data_i[31:0];
      if (ld_region == 4'd3 && ld_idx < 28'(MaxChannels)) bias_q[ChBits'(ld_idx)] <= load_data_i;
      if (ld_region == 4'd4 && ld_idx < 28'(MaxWeights)) w_q[WBits'(ld_idx)] <= load_data_i[15:0];
      if (ld_region == 4'd5 && ld_idx[27:3] < 25'(Routes)) begin
        if (ld_idx[2:0] == 3'd0) begin
          r_clo_q[RouteBits'(ld_idx[27:3])] <= ChCountBits'(load_data_i[15:0]);
          r_chi_q[RouteBits'(ld_idx[27:3])] <= ChCountBits'(load_data_i[31:16]);
        end
        if (ld_idx[2:0] == 3'd1) begin
          r_y0_q[RouteBits'(ld_idx[27:3])] <= DB'(load_data_i[15:0]);
          r_y1_q[RouteBits'(ld_idx[27:3])] <= DB'(load_data_i[31:16]);
        end
        if (ld_idx[2:0] == 3'd2) r_axon_q[RouteBits'(ld_idx[27:3])] <= load_data_i[31:0];
        if (ld_idx[2:0] == 3'd3) r_prows_q[RouteBits'(ld_idx[27:3])] <= load_data_i[31:0];
        if (ld_idx[2:0] == 3'd4) r_addr_q[RouteBits'(ld_idx[27:3])] <= AB'(load_data_i);
        if (ld_idx[2:0] == 3'd5) r_dst_q[RouteBits'(ld_idx[27:3])] <= PB'(load_data_i);
      end
      if (ld_region == 4'd6 && 32'(ld_idx[27:24]) < PixBanks && 32'(ld_word) < PixWords) begin
        for (int j = 0; j < 8; j++) begin
          if (32'({ld_word, 3'(j)}) < MaxPixels) begin
            px_q[ld_bank][PixBits'({ld_word, 3'(j)})] <= load_data_i[8 * j +: 8];
          end
        end
      end
    end
  end

  // ---- types ------------------------------------------------------------------------------
  // a MAC: its element (o, oy, ox) and tap (ci, ky, kx)
  typedef struct packed {
    logic [ChBits-1:0] o;
    logic [DB-1:0]     oy;
    logic [DB-1:0]     ox;
    logic [CiBits-1:0] ci;
    logic [DB-1:0]     ky;
    logic [DB-1:0]     kx;
  } pos_t;

  // an output-queue entry
  typedef struct packed {
    logic              marker;  // end-of-image marker (else a graded event)
    logic              tag;     // parity of the image
    logic [ChBits-1:0] o;
    logic [DB-1:0]     oy;
    logic [DB-1:0]     ox;
    logic [31:0]       value;   // E clamped to 32 bits
  } qent_t;

  // a complete item on its way into the queue
  typedef struct packed {
    logic  clamped;  // E did not fit 32 bits
    qent_t e;
  } item_t;
  // (arrays of them are vector arrays: yosys 0.23 reads an array of a struct type as one entry)
  localparam int unsigned QentBits = 2 + ChBits + 2 * DB + 32;
  localparam int unsigned ItemBits = 1 + QentBits;

  // ---- state --------------------------------------------------------------------------------
  logic                      port_full_q, port_full_d;      // the input port holds an image
  logic                      computing_q, computing_d;      // an image is in flight
  logic [BankBits-1:0]       bank_q, bank_d;                // its pixel bank
  logic [BankBits-1:0]       next_bank_q, next_bank_d;      // the next image's
  logic                      par_q, par_d;                  // its parity
  pos_t                      pos_q, pos_d;                  // the next MAC
  logic [AccBits-1:0]        acc_q, acc_d;                  // the partial sum of its element
  logic [Routes-1:0]         rel_ok_q, rel_ok_d;            // route released for the image in flight
  logic [ItemBits-1:0]       pend_q [Items];                // complete items waiting for room
  logic [ItemBits-1:0]       pend_d [Items];
  logic [ItemCountBits-1:0]  pend_cnt_q, pend_cnt_d;
  logic [QentBits-1:0]       q_q [OutQueue];                // the output queue
  logic [QentBits-1:0]       q_d [OutQueue];
  logic [QBits-1:0]          head_q, head_d;
  logic [QCountBits-1:0]     len_q, len_d;
  logic [RouteCountBits-1:0] send_pos_q, send_pos_d;        // the marker's next route
  logic [63:0] packets_in_q, packets_in_d, macs_cnt_q, macs_cnt_d, images_q, images_d;
  logic [63:0] outputs_q, outputs_d, compute_q, compute_d, stall_q, stall_d;
  logic [63:0] clamped_q, clamped_d;
  logic [31:0] qpeak_q, qpeak_d;

  // ---- shell ------------------------------------------------------------------------------
  logic                      head_valid, head_tag;
  logic [1:0]                head_kind;
  logic [PB-1:0]             head_axon;
  logic [31:0]               head_value;
  logic                      pkt_valid, pkt_taken, rel_due;
  logic [1:0]                pkt_kind;
  logic [AB-1:0]             pkt_addr;
  logic                      pkt_tag;
  logic [PB-1:0]             pkt_payload;
  logic [31:0]               pkt_value;

  unit_shell #(
    .FifoFlits(FifoFlits),
    .InRoutes (1)
  ) u_shell (
    .clk_i,
    .rst_ni,
    .rx_valid_i,
    .rx_kind_i,
    .rx_tag_i,
    .rx_axon_i,
    .rx_value_i,
    .rx_credit_o,
    .head_valid_o    (head_valid),
    .head_kind_o     (head_kind),
    .head_tag_o      (head_tag),
    .head_axon_o     (head_axon),
    .head_value_o    (head_value),
    .head_pop_i      (head_valid),  // one release taken per cycle, as soon as it is the head
    .rel_push_i      (1'b0),
    .rel_mask_i      (1'b0),
    .rel_tag_i       (1'b0),
    .rel2_push_i     (1'b0),
    .rel2_mask_i     (1'b0),
    .rel2_tag_i      (1'b0),
    .pkt_valid_i     (pkt_valid),
    .pkt_kind_i      (pkt_kind),
    .pkt_mc_i        (1'b0),
    .pkt_addr_i      (pkt_addr),
    .pkt_tag_i       (pkt_tag),
    .pkt_payload_i   (pkt_payload),
    .pkt_value_i     (pkt_value),
    .pkt_taken_o     (pkt_taken),
    .rel_due_o       (rel_due),
    .tx_valid_o,
    .tx_kind_o,
    .tx_mc_o,
    .tx_addr_o,
    .tx_tag_o,
    .tx_payload_o,
    .tx_value_o,
    .tx_ready_i,
    .load_we_i       (1'b0),
    .load_idx_i      (1'b0),
    .load_src_addr_i ('0),
    .load_src_route_i('0),
    .packets_out_o,
    .send_refused_o,
    .fifo_peak_o
  );

  // the encoder has no incoming route of its own: releases carry its route index, graded
  // values and tags are the C model's assertions, not behaviour
  logic unused_shell;
  assign unused_shell = rel_due ^ head_tag ^ (^head_kind) ^ (^head_value);

  // ---- send: the queue head ---------------------------------------------------------------
  qent_t                   hd;
  logic [RouteBits-1:0]    g_route;    // the route of the head's graded event
  logic [PB-1:0]           g_axon;
  logic [RouteBits-1:0]    tok_route;  // the marker's route in this cycle
  logic                    no_routes, q_pop, last_tok;

  always_comb begin
    hd = q_q[head_q];
    g_route = '0;
    for (int r = Routes - 1; r >= 0; r--) begin
      if (RouteCountBits'(r) < n_routes_q && ChCountBits'(hd.o) >= r_clo_q[r] &&
          ChCountBits'(hd.o) < r_chi_q[r] && hd.oy >= r_y0_q[r] && hd.oy < r_y1_q[r]) begin
        g_route = RouteBits'(r);
      end
    end
    g_axon = PB'(r_axon_q[g_route] + (32'(hd.o) * r_prows_q[g_route] + 32'(hd.oy)) *
                 32'(w_out_q) + 32'(hd.ox));
    tok_route = RouteBits'(send_pos_q);
    no_routes = (n_routes_q == '0);
    last_tok = (send_pos_q + 1'b1 >= n_routes_q);

    pkt_valid = (len_q != '0) && !(hd.marker && no_routes);
    pkt_kind = hd.marker ? spk_noc_pkg::KindToken : spk_noc_pkg::KindGraded;
    pkt_addr = hd.marker ? r_addr_q[tok_route] : r_addr_q[g_route];
    pkt_tag = hd.tag;
    pkt_payload = hd.marker ? r_dst_q[tok_route] : g_axon;
    pkt_value = hd.marker ? 32'd0 : hd.value;
  end

  // what the NI's answer does to the head
  always_comb begin
    q_pop = 1'b0;
    send_pos_d = send_pos_q;
    if (len_q != '0) begin
      if (hd.marker && no_routes) begin
        q_pop = 1'b1;            // nowhere to send: the marker just leaves
      end else if (pkt_taken) begin
        if (!hd.marker || last_tok) begin
          q_pop = 1'b1;
          send_pos_d = '0;
        end else begin
          send_pos_d = send_pos_q + 1'b1;
        end
      end
    end
  end

  // ---- compute: start, the MAC lanes, the items -------------------------------------------
  logic                     released, start, advance, stall;
  logic [ItemBits-1:0]      items [Items];      // this cycle's complete items, in order
  logic [ItemCountBits-1:0] n_items;
  logic [LaneCountBits-1:0] lanes_done;         // MACs done in this cycle

  always_comb begin
    released = 1'b1;
    for (int r = 0; r < Routes; r++) begin
      if (RouteCountBits'(r) < n_routes_q && !rel_ok_q[r]) begin
        released = 1'b0;
      end
    end
  end

  assign img_ready_o = !port_full_q;
  assign start = !computing_q && (port_full_q || img_valid_i) && released;
  assign advance = start || (computing_q && pend_cnt_q == '0);
  assign stall = computing_q && pend_cnt_q != '0;

  item_t mac_it;  // (module scope: yosys 0.23 loses the members of a block's struct variables)
  pos_t  mac_p;
  always_comb begin
    logic [AccBits-1:0]   acc;
    logic                 live;
    logic [BankBits-1:0]  bank;
    logic                 tap_last, elem_last, inb;
    logic [CoordBits-1:0] iy, ix;
    logic [PixBits-1:0]   paddr;
    logic [WBits-1:0]     waddr;
    logic [7:0]           pix;
    logic [15:0]          wt, zr;
    logic [AccBits-1:0]   prod;
    logic [ProdBits-1:0]  rq;
    logic [63:0]          e;

    tap_last = 1'b0;
    elem_last = 1'b0;
    iy = '0;
    ix = '0;
    inb = 1'b0;
    paddr = '0;
    waddr = '0;
    pix = '0;
    wt = '0;
    zr = '0;
    prod = '0;
    rq = '0;
    e = '0;
    mac_it = '0;
    mac_p = start ? '0 : pos_q;
    acc = start ? '0 : acc_q;
    bank = start ? next_bank_q : bank_q;
    live = advance;
    n_items = '0;
    lanes_done = '0;
    for (int i = 0; i < Items; i++) begin
      items[i] = '0;
    end
    for (int l = 0; l < Macs; l++) begin
      if (live && LaneCountBits'(l) < macs_q) begin
        lanes_done = lanes_done + 1'b1;
        tap_last = (32'(mac_p.ci) + 1 == 32'(c_in_q)) && (32'(mac_p.ky) + 1 == 32'(kernel_q)) &&
                   (32'(mac_p.kx) + 1 == 32'(kernel_q));
        elem_last = (32'(mac_p.o) + 1 == 32'(channels_q)) && (32'(mac_p.oy) + 1 == 32'(h_out_q)) &&
                    (32'(mac_p.ox) + 1 == 32'(w_out_q));
        // the tap's pixel: (oy·stride + ky − pad, ox·stride + kx − pad), padded outside
        iy = CoordBits'(mac_p.oy) * CoordBits'(stride_q) + CoordBits'(mac_p.ky) - CoordBits'(pad_q);
        ix = CoordBits'(mac_p.ox) * CoordBits'(stride_q) + CoordBits'(mac_p.kx) - CoordBits'(pad_q);
        inb = !iy[CoordBits-1] && !ix[CoordBits-1] && iy < CoordBits'(h_in_q) &&
              ix < CoordBits'(w_in_q);
        paddr = inb ? PixBits'((32'(mac_p.ci) * 32'(h_in_q) + 32'(iy)) * 32'(w_in_q) + 32'(ix))
                    : '0;
        waddr = WBits'(((32'(mac_p.ci) * 32'(kernel_q) + 32'(mac_p.ky)) * 32'(kernel_q) +
                        32'(mac_p.kx)) * 32'(channels_q) + 32'(mac_p.o));
        pix = px_q[bank][paddr];
        wt = w_q[waddr];
        zr = zero_q[mac_p.ci];
        // w·(mac_p − z), both sign-extended: the low AccBits of the product are exact
        prod = {{(AccBits - 16){wt[15]}}, wt} *
               (AccBits'({1'b0, pix}) - {{(AccBits - 16){zr[15]}}, zr});
`ifdef SPK_MUTANT_ENCODER_LAST_MAC
        if (!inb || tap_last) prod = '0;  // mutant: an element's last MAC is skipped
`else
        if (!inb) prod = '0;
`endif
        acc = acc + prod;
        if (tap_last) begin
          // E = ((acc·M + 2^23) >> 24) + bias, in 64 bits (doc/semantics.md §4)
          rq = {{32{acc[AccBits-1]}}, acc} * {{AccBits{mult_q[mac_p.o][31]}}, mult_q[mac_p.o]};
          rq = rq + (ProdBits'(1) << 23);
          e = 64'($signed(rq) >>> 24) + bias_q[mac_p.o];
          if (e != 64'd0) begin
            mac_it.clamped = (e[63:31] != '0) && (e[63:31] != '1);
            mac_it.e.marker = 1'b0;
            mac_it.e.tag = start ? !par_q : par_q;
            mac_it.e.o = mac_p.o;
            mac_it.e.oy = mac_p.oy;
            mac_it.e.ox = mac_p.ox;
            mac_it.e.value = mac_it.clamped ? (e[63] ? 32'h8000_0000 : 32'h7fff_ffff) : e[31:0];
            items[ItemIdxBits'(n_items)] = mac_it;
            n_items = n_items + 1'b1;
          end
          acc = '0;
          if (elem_last) begin
            mac_it = '0;
            mac_it.e.marker = 1'b1;
            mac_it.e.tag = start ? !par_q : par_q;
            items[ItemIdxBits'(n_items)] = mac_it;
            n_items = n_items + 1'b1;
            live = 1'b0;
          end
        end
        // the next MAC: kx, ky, ci, then ox, oy, o
        if (32'(mac_p.kx) + 1 < 32'(kernel_q)) begin
          mac_p.kx = mac_p.kx + 1'b1;
        end else begin
          mac_p.kx = '0;
          if (32'(mac_p.ky) + 1 < 32'(kernel_q)) begin
            mac_p.ky = mac_p.ky + 1'b1;
          end else begin
            mac_p.ky = '0;
            if (32'(mac_p.ci) + 1 < 32'(c_in_q)) begin
              mac_p.ci = mac_p.ci + 1'b1;
            end else begin
              mac_p.ci = '0;
              if (32'(mac_p.ox) + 1 < 32'(w_out_q)) begin
                mac_p.ox = mac_p.ox + 1'b1;
              end else begin
                mac_p.ox = '0;
                if (32'(mac_p.oy) + 1 < 32'(h_out_q)) begin
                  mac_p.oy = mac_p.oy + 1'b1;
                end else begin
                  mac_p.oy = '0;
                  mac_p.o = mac_p.o + 1'b1;
                end
              end
            end
          end
        end
      end
    end
    pos_d = advance ? mac_p : pos_q;
    acc_d = advance ? acc : acc_q;
    bank_d = start ? bank : bank_q;
  end

  // ---- the queue: pushes (this cycle's items, or those waiting), the send's pop -----------
  item_t push_it;
  always_comb begin
    logic [ItemCountBits-1:0] n_src, n_push;
    logic [QCountBits-1:0]    room;
    logic [QBits:0]           widx;
    logic                     marker_in;

    widx = '0;
    push_it = '0;
    for (int i = 0; i < OutQueue; i++) begin  // (whole-array copies as loops: yosys 0.23)
      q_d[i] = q_q[i];
    end
    for (int i = 0; i < Items; i++) begin
      pend_d[i] = pend_q[i];
    end
    room = cap_q - len_q;                  // free at the start of the cycle
    n_src = stall ? pend_cnt_q : n_items;
    n_push = (32'(n_src) < 32'(room)) ? n_src : ItemCountBits'(room);
    outputs_d = outputs_q;
    clamped_d = clamped_q;
    marker_in = 1'b0;
    for (int i = 0; i < Items; i++) begin
      push_it = stall ? pend_q[i] : items[i];
      if (ItemCountBits'(i) < n_push) begin
        widx = QBitsP1'(head_q) + QBitsP1'(len_q) + QBitsP1'(i);
        if (widx >= QBitsP1'(cap_q)) widx = widx - QBitsP1'(cap_q);
        q_d[QBits'(widx)] = push_it.e;
        if (push_it.e.marker) begin
          marker_in = 1'b1;
        end else begin
          outputs_d = outputs_d + 1'b1;
          clamped_d = clamped_d + 64'(push_it.clamped);
        end
      end else if (ItemCountBits'(i) < n_src) begin
        pend_d[ItemIdxBits'(ItemCountBits'(i) - n_push)] = push_it;
      end
    end
    pend_cnt_d = n_src - n_push;

    head_d = head_q;
    if (q_pop) begin
      head_d = (32'(head_q) + 1 >= 32'(cap_q)) ? '0 : head_q + 1'b1;
    end
    len_d = len_q - QCountBits'(q_pop) + QCountBits'(n_push);
    qpeak_d = (32'(len_d) > qpeak_q) ? 32'(len_d) : qpeak_q;

    // the image's end, the next image's start
    computing_d = (start || computing_q) && !marker_in;
    images_d = images_q + 64'(marker_in);
    port_full_d = (port_full_q || img_valid_i) && !start;
    next_bank_d = next_bank_q;
    if (start) begin
      next_bank_d = (32'(next_bank_q) + 1 >= PixBanks) ? '0 : next_bank_q + 1'b1;
    end
    par_d = start ? !par_q : par_q;
    macs_cnt_d = macs_cnt_q + 64'(lanes_done);
    compute_d = compute_q + 64'(lanes_done != '0);
    stall_d = stall_q + 64'(stall);

    // releases: the start clears them, a release taken now counts from the next cycle
    rel_ok_d = start ? '0 : rel_ok_q;
    packets_in_d = packets_in_q;
    if (head_valid) begin
      packets_in_d = packets_in_q + 1'b1;
      if (head_axon < PB'(Routes)) rel_ok_d[RouteBits'(head_axon)] = 1'b1;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      port_full_q <= 1'b0;
      computing_q <= 1'b0;
      bank_q <= '0;
      par_q <= 1'b1;               // image 0 has parity 0: the start toggles first
      next_bank_q <= '0;
      pos_q <= '0;
      acc_q <= '0;
      rel_ok_q <= '1;              // every route starts released
      pend_cnt_q <= '0;
      head_q <= '0;
      len_q <= '0;
      send_pos_q <= '0;
      packets_in_q <= '0;
      macs_cnt_q <= '0;
      images_q <= '0;
      outputs_q <= '0;
      compute_q <= '0;
      stall_q <= '0;
      clamped_q <= '0;
      qpeak_q <= '0;
    end else begin
      port_full_q <= port_full_d;
      computing_q <= computing_d;
      bank_q <= bank_d;
      par_q <= par_d;
      next_bank_q <= next_bank_d;
      pos_q <= pos_d;
      acc_q <= acc_d;
      rel_ok_q <= rel_ok_d;
      pend_cnt_q <= pend_cnt_d;
      head_q <= head_d;
      len_q <= len_d;
      send_pos_q <= send_pos_d;
      packets_in_q <= packets_in_d;
      macs_cnt_q <= macs_cnt_d;
      images_q <= images_d;
      outputs_q <= outputs_d;
      compute_q <= compute_d;
      stall_q <= stall_d;
      clamped_q <= clamped_d;
      qpeak_q <= qpeak_d;
    end
  end

  // the queue and the waiting items: register files, never reset (their counts are)
  always_ff @(posedge clk_i) begin
`ifdef YOSYS  // yosys 0.23 copies no whole arrays; Verilator takes no array writes in loops
    for (int i = 0; i < OutQueue; i++) q_q[i] <= q_d[i];
    for (int i = 0; i < Items; i++) pend_q[i] <= pend_d[i];
`else
    q_q <= q_d;
    pend_q <= pend_d;
`endif
  end

  assign packets_in_o = packets_in_q;
  assign encoder_macs_o = macs_cnt_q;
  assign images_o = images_q;
  assign outputs_o = outputs_q;
  assign compute_cycles_o = compute_q;
  assign stall_cycles_o = stall_q;
  assign graded_clamped_o = clamped_q;
  assign queue_peak_o = qpeak_q;

endmodule
