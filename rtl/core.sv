// core — the synapse core: the RTL of sim/core.c, cycle for cycle (doc/architecture.md §6 and
// §9 are the contract, doc/semantics.md §3 the arithmetic, doc/rtl.md "core" the port contract).
// The C model is the single source of truth; every engine here mirrors one of its functions.
//
// Three engines share the core's registered state and talk only through it, as in the C model:
//
//   receive  take_spike() / take_graded() / take_token() / receive(). In cycle x it takes the
//            head of the input FIFO (rtl/unit_shell.sv) when it is not busy: a spike is walked
//            by Adders lanes, one SOP (one weight into one accumulator) each per cycle, from x
//            for the busy time max(1, ceil(SOPs / Adders)); a graded event adds into one
//            accumulator or writes one encoder-register element; a token counts for the pieces
//            its route writes; a release counts for one of our routes (1 cycle each). The C model
//            adds a spike's whole walk in x; nothing can observe the accumulators it writes
//            before the route's token, taken after the busy time (phase causality, §9), so the
//            two are equal cycle for cycle. Everything else is visible from x + 1.
//   fire     pick() / fire() / fire_done(). When no fire is in progress, the reader that
//            may fire (from registered state) with the lowest (phase, step, piece) starts, and its
//            first group is updated in that same cycle; NeuronUpdates elements per cycle in
//            element order, or a stall when the output queue as registered at the start of the
//            cycle cannot take the group's entries (its spikes or partial sums, and the marker
//            with the last group). The piece's last reader clears the accumulators it reads and,
//            at the end, moves the piece on and pushes the releases of the routes that wrote it
//            (and, at an image's end, clears the encoder register and releases its routes).
//   send     send(). The shell offers a due release first; else this module offers the next
//            packet of the output queue's head entry: one per send of its reader (a unicast
//            route, or a tree-multicast group at its first route), in routing-table order.
//
// Storage. The neuron memory (the membranes, MemWords x MembraneBits) sits behind an SRAM macro
// wrapper (rtl/sram_1r1w.sv: one read port with a registered read, one write port): one word is
// one fire group, NeuronUpdates membranes, and a reader's membranes start at a word (its group
// base). A fire cycle writes its group's word back while the word of the group that fires in the
// next cycle is read: that address comes from the next state (the fire in progress, or the pick
// made on the next state, as the C model's pick_q is). The accumulators (AccWords x 64 bits,
// element order per piece, from the piece's acc base), the encoder registers (same addresses,
// 32 bits, each with the image it was written in), the kernels (WeightWords x 16 bits), the
// per-channel biases and 2θ of the readers (ChanWords x 2 x 64 bits) and the configuration tables
// are arrays written in place by write ports (section "memories"). They are not one-port SRAMs
// (rtl/sram_1p.sv): the spike walk's Adders lanes read Adders weights and add into Adders
// accumulators per cycle, spread over several kernel taps and output positions (the C model packs
// a spike's SOPs Adders to a cycle across rows and projections); the fire engine reads
// NeuronUpdates accumulators in element order, a layout the walk's channel runs cut across:
// several accesses per cycle.
//
// Widths, and why they are exact. Accumulators, biases, 2θ, encoder values and the LIF sum
// A = V + X are 64-bit two's complement, the C model's int64_t: equal whenever the C does not
// overflow (which would be undefined behaviour there). Membranes are MembraneBits wide: the C
// saturates them to [−2^(MembraneBits−1), 2^(MembraneBits−1) − 1], so they fit exactly. Step
// counters (steps fired, piece steps, releases received) are 32 bits: exact for runs of fewer
// than 2^32 steps. Spike coordinates and kernel indices are 32-bit (the C's uint32_t).
// Counters are 64-bit (the C's uint64_t); queue_peak 32-bit.
//
// Load port (doc/rtl.md "core" has the map; rtl/core_load.cpp writes it from a struct
// spk_core_config): load_addr_i = {table[31:28], index[27:4], field[3:0]}, load_data_i the
// field's value, right-aligned. Load after a reset, then reset once more before traffic: the
// engines run on the half-written tables while they load, and rst_ni resets the engines, not
// the tables.
//
// A compile-time mutation for tests/rtl/core_lockstep's self-check (SPK_MUTANT_CORE_SAT): the
// membrane saturates one bit too early (at ±2^(MembraneBits−2)).
module core #(
  parameter int unsigned FifoFlits     = 64,    // [core] input_fifo: flits of the input FIFO
  parameter int unsigned QueueEntries  = 64,    // [core] output_queue: entries
  parameter int unsigned Adders        = 16,    // [core] adders: SOPs per cycle
  parameter int unsigned NeuronUpdates = 8,     // [core] neuron_updates: elements per fire cycle
  parameter int unsigned MembraneBits  = 16,    // [core] membrane_bits, 2..62
  parameter int unsigned Pieces        = 4,     // pieces the tables hold
  parameter int unsigned Projs         = 8,     // projections the tables hold (<= 64)
  parameter int unsigned Readers       = 8,     // readers the tables hold
  parameter int unsigned InRoutes      = 16,    // incoming routes the tables hold
  parameter int unsigned Routes        = 256,   // [core] route_entries: outgoing routes
  parameter int unsigned AccWords      = 8192,  // [core] neurons: accumulator elements
  parameter int unsigned MemWords      = 8192,  // membrane words (all per-neuron readers)
  parameter int unsigned WeightWords   = 65536, // kernel weights (16-bit words)
  parameter int unsigned ChanWords     = 256    // (bias, 2θ) words of the readers' channels
) (
  input  logic                                clk_i,             // the chip clock
  input  logic                                rst_ni,            // asynchronous reset, active low
  // NI -> core: the packet arriving in this cycle (ni.sv rx_*)
  input  logic                                rx_valid_i,        // a packet arrives in this cycle
  input  logic [1:0]                          rx_kind_i,         // its kind (spk_noc_pkg::Kind*)
  input  logic                                rx_tag_i,          // its step tag
  input  logic [spk_noc_pkg::PayloadBits-1:0] rx_axon_i,         // its payload
  input  logic [31:0]                         rx_value_i,        // its graded value
  output logic [spk_noc_pkg::CreditBits-1:0]  rx_credit_o,       // input flits freed in this cycle
  // core -> NI (ni.sv tx_*)
  output logic                                tx_valid_o,        // a packet is offered in this cycle
  output logic [1:0]                          tx_kind_o,         // its kind
  output logic                                tx_mc_o,           // multicast: tx_addr_o is a group
  output logic [spk_noc_pkg::AddrBits-1:0]    tx_addr_o,         // destination address or group
  output logic                                tx_tag_o,          // step tag
  output logic [spk_noc_pkg::PayloadBits-1:0] tx_payload_o,      // axon, element or route index
  output logic [31:0]                         tx_value_o,        // graded value
  input  logic                                tx_ready_i,        // the NI takes it in this cycle
  // load port (configuration; the map is in the header above)
  input  logic                                load_we_i,         // write one field in this cycle
  input  logic [31:0]                         load_addr_i,       // {table, index, field}
  input  logic [63:0]                         load_data_i,       // the field's value
  // spikes fired in this cycle (C port->spike), lane j = the group's j-th element
  output logic [NeuronUpdates-1:0]            spike_o,           // lane j's neuron spiked
  output logic [31:0]                         spike_pop_o,       // the reader's population
  output logic [31:0]                         spike_step_o,      // the global step fired
  output logic [32*NeuronUpdates-1:0]         spike_neuron_o,    // lane j at [32j +: 32]: (c·H + y)·W + x
  // counters (struct spk_core_stats)
  output logic [63:0]                         sops_o,            // ev.sops
  output logic [63:0]                         graded_adds_o,     // ev.graded_adds
  output logic [63:0]                         neuron_updates_o,  // ev.neuron_updates
  output logic [63:0]                         packets_out_o,     // ev.packets_out
  output logic [63:0]                         packets_in_o,      // packets taken from the FIFO
  output logic [63:0]                         spikes_in_o,       // spikes taken
  output logic [63:0]                         graded_in_o,       // graded events taken
  output logic [63:0]                         tokens_in_o,       // tokens taken
  output logic [63:0]                         releases_in_o,     // releases taken
  output logic [63:0]                         receive_busy_o,    // cycles the receive engine worked
  output logic [63:0]                         fires_o,           // (reader, step) fires completed
  output logic [63:0]                         fire_cycles_o,     // cycles a group was updated
  output logic [63:0]                         fire_stalls_o,     // cycles a group waited for the queue
  output logic [63:0]                         spikes_out_o,      // spikes fired
  output logic [63:0]                         send_refused_o,    // offers the NI refused
  output logic [63:0]                         graded_clamped_o,  // partial sums clamped to 32 bits
  output logic [31:0]                         fifo_peak_o,       // most flits in the input FIFO
  output logic [31:0]                         queue_peak_o,      // most entries in the output queue
  output logic                                quiet_o,           // spk_core_quiet(): nothing in flight
  output logic                                busy_o             // work in this cycle (with rx_valid_i low: a cycle
                                                                 // with busy_o low changes nothing)
);

  localparam int unsigned PB = spk_noc_pkg::PayloadBits;
  localparam int unsigned AB = spk_noc_pkg::AddrBits;
  localparam int unsigned NU = NeuronUpdates;
  localparam int unsigned QE = QueueEntries;
  localparam int unsigned PieceBits = $clog2(Pieces > 1 ? Pieces : 2);
  localparam int unsigned ReaderBits = $clog2(Readers > 1 ? Readers : 2);
  localparam int unsigned InBits = $clog2(InRoutes > 1 ? InRoutes : 2);
  localparam int unsigned RouteBits = $clog2(Routes > 1 ? Routes : 2);
  localparam int unsigned AccBits = $clog2(AccWords > 1 ? AccWords : 2);
  localparam int unsigned MemGroups = MemWords / NU;  // neuron-memory words, a group each
  localparam int unsigned MGBits = $clog2(MemGroups > 1 ? MemGroups : 2);
  localparam int unsigned MemWordBits = NU * MembraneBits;
  localparam int unsigned WBits = $clog2(WeightWords > 1 ? WeightWords : 2);
  localparam int unsigned ChanBits = $clog2(ChanWords > 1 ? ChanWords : 2);
  localparam int unsigned QBits = $clog2(QE > 1 ? QE : 2);
  localparam int unsigned QBitsP2 = QBits + 2;
  localparam int unsigned QBitsP1 = QBits + 1;
  localparam int unsigned MB = MembraneBits;
  localparam int unsigned KBits = 4;  // kernel, stride and padding of a projection
  localparam int unsigned PushBits = $clog2(NU + 2);  // counts the NU + 1 pushes of a cycle
  localparam int unsigned PushIdxBits = $clog2(NU + 1);  // indexes them

  // load-port tables (load_addr_i[31:28])
  localparam logic [3:0] TabGlobal = 4'd0;
  localparam logic [3:0] TabPiece = 4'd1;
  localparam logic [3:0] TabElem = 4'd2;
  localparam logic [3:0] TabProj = 4'd3;
  localparam logic [3:0] TabWeight = 4'd4;
  localparam logic [3:0] TabIn = 4'd5;
  localparam logic [3:0] TabReader = 4'd6;
  localparam logic [3:0] TabChan = 4'd7;
  localparam logic [3:0] TabRoute = 4'd8;

  // in-route kinds (enum spk_in_kind)
  localparam logic [1:0] InSpike = 2'd1;  // (2 = ATTN: graded adds, tokens)
  localparam logic [1:0] InEncoder = 2'd3;

  // output-queue entry kinds
  localparam logic [1:0] QSpike = 2'd0;
  localparam logic [1:0] QGraded = 2'd1;
  localparam logic [1:0] QMarker = 2'd2;

  localparam logic signed [63:0] VMax = (64'sd1 <<< (MB - 1)) - 64'sd1;
`ifdef SPK_MUTANT_CORE_SAT
  localparam logic signed [63:0] SatMax = (64'sd1 <<< (MB - 2)) - 64'sd1;
`else
  localparam logic signed [63:0] SatMax = VMax;
`endif
  localparam logic signed [63:0] SatMin = -SatMax - 64'sd1;

  // ---- configuration (written by the load port, never by the engines) -----------------------
  logic [31:0]          time_steps_q;                 // T
  // pieces
  logic                 pc_valid_q [Pieces];
  logic [AccBits-1:0]   pc_base_q [Pieces];           // accumulator address of element 0
  logic [31:0]          pc_elems_q [Pieces];          // channels x rows x width
  logic [31:0]          pc_acc_axon_q [Pieces];       // graded axon of element 0's accumulator
  logic                 pc_has_enc_q [Pieces];
  logic [31:0]          pc_enc_axon_q [Pieces];       // graded axon of element 0's encoder register
  logic [31:0]          pc_c0_q [Pieces];             // site channel of channel 0
  logic [31:0]          pc_h_q [Pieces];              // site rows (spike reports)
  logic [31:0]          pc_w_q [Pieces];              // site columns
  logic [15:0]          pc_n_encr_q [Pieces];         // ENCODER routes writing the register
  logic [InRoutes-1:0]  pc_encr_q [Pieces];           // those routes
  logic [31:0]          pc_rows_q [Pieces];           // rows
  logic [31:0]          pc_y0_q [Pieces];             // first site row
  // accumulator elements: their piece, channel, row (site row) and column
  logic [15:0]          el_ch_q [AccWords];           // channel in the piece
  logic [15:0]          el_y_q [AccWords];            // site row
  logic [15:0]          el_x_q [AccWords];            // column
  logic                 el_end_q [AccWords];          // last element of its channel's plane
  // projections
  logic                 pj_valid_q [Projs];
  logic [PieceBits-1:0] pj_piece_q [Projs];
  logic [KBits-1:0]     pj_k_q [Projs];               // kernel (at most 15: the loader)
  logic [KBits-1:0]     pj_stride_q [Projs];          // stride, 1..15
  logic [KBits-1:0]     pj_pad_q [Projs];             // padding, 0..15
  logic [WBits-1:0]     pj_wbase_q [Projs];           // weight [c_in][k][k][g] from here
  logic [15:0]          pj_g_q [Projs];               // its piece's channels
  logic signed [15:0]   weight_q [WeightWords];
  // incoming routes
  logic [1:0]           in_kind_q [InRoutes];
  logic [31:0]          in_base_q [InRoutes];         // SPIKE: axon base
  logic [31:0]          in_size_q [InRoutes];         // SPIKE: channels x rows x width
  logic [31:0]          in_plane_q [InRoutes];        // SPIKE: rows x width
  logic [15:0]          in_width_q [InRoutes];        // SPIKE: width
  logic [31:0]          in_c0_q [InRoutes];           // SPIKE: first channel
  logic [31:0]          in_y0_q [InRoutes];           // SPIKE: first row
  logic [Projs-1:0]     in_projs_q [InRoutes];        // SPIKE: projections reading it
  logic [Pieces-1:0]    in_pieces_q [InRoutes];       // pieces it writes (tokens, releases)
  logic [15:0]          in_npieces_q [InRoutes];
  // readers
  logic                 rd_valid_q [Readers];
  logic [PieceBits-1:0] rd_piece_q [Readers];
  logic [31:0]          rd_phase_q [Readers];
  logic                 rd_has_prev_q [Readers];
  logic [ReaderBits-1:0] rd_prev_q [Readers];         // the piece's previous reader
  logic                 rd_mean_q [Readers];
  logic                 rd_last_q [Readers];          // the piece's last reader
  logic                 rd_need_enc_q [Readers];      // reads the encoder register
  logic [15:0]          rd_need_q [Readers];          // tokens it needs
  logic [ChanBits-1:0]  rd_cbase_q [Readers];         // its channels' (bias, 2θ) words
  logic [MGBits-1:0]    rd_mgrp_q [Readers];          // its membranes' first word (group)
  logic [31:0]          rd_pop_q [Readers];           // population (spike reports)
  logic signed [63:0]   ch_bias_q [ChanWords];        // biases of the projections before it
  logic signed [63:0]   ch_th2_q [ChanWords];         // 2θ
  // outgoing routes
  logic                 rt_valid_q [Routes];
  logic                 rt_send_q [Routes];           // a send: unicast, or its group's first
  logic [ReaderBits-1:0] rt_src_q [Routes];           // its reader
  logic [AB-1:0]        rt_addr_q [Routes];           // destination address, or group
  logic                 rt_mc_q [Routes];             // tree multicast
  logic [PB-1:0]        rt_dst_route_q [Routes];      // token payload
  logic [31:0]          rt_axon_q [Routes];           // axon base

  // ---- engine state --------------------------------------------------------------------------
  // The memories: written in place by the write ports below, read by index (no whole-array
  // next-state copies). An encoder-register element holds its value and the image (count of the
  // piece's encoder clears) it was written in; one written in an earlier image reads 0, which is
  // the C model's clear of the whole register at an image's end.
  logic signed [63:0]   acc_q [AccWords];
  logic signed [31:0]   enc_q [AccWords];
  logic [31:0]          enc_img_q [AccWords];
  logic [31:0]          pc_step_q [Pieces], pc_step_d [Pieces];    // step the piece is on
  logic [31:0]          pc_t_q [Pieces], pc_t_d [Pieces];          // its step mod T
  logic [31:0]          pc_img_q [Pieces], pc_img_d [Pieces];      // images done (encoder clears)
  logic [15:0]          pc_tok_q [Pieces], pc_tok_d [Pieces];      // tokens of the step
  logic [15:0]          pc_etok_q [Pieces], pc_etok_d [Pieces];    // ENCODER tokens of the image
  logic [15:0]          in_done_q [InRoutes], in_done_d [InRoutes];  // pieces done with the step
  logic [31:0]          rd_fired_q [Readers], rd_fired_d [Readers];  // steps fired
  logic [31:0]          rt_rel_q [Routes], rt_rel_d [Routes];      // releases received
  logic [31:0]          busy_q, busy_d;               // receive: busy cycles after this one
  logic                 fire_q, fire_d;               // a fire is in progress
  logic [ReaderBits-1:0] fire_r_q, fire_r_d;          // its reader
  logic [31:0]          fire_e_q, fire_e_d;           // its next element
  logic [MGBits-1:0]    fire_g_q, fire_g_d;           // its group (from the reader's first)
  logic signed [63:0]   msum_q, msum_d;               // mean reader: running channel sum
  // output queue
  logic [1:0]           q_kind_q [QE];
  logic [ReaderBits-1:0] q_rd_q [QE];
  logic [31:0]          q_off_q [QE];                 // spike: element; graded: site channel
  logic [31:0]          q_val_q [QE];
  logic                 q_tag_q [QE];
  logic [QBits-1:0]     q_head_q, q_head_d;
  logic [QBits:0]       q_len_q, q_len_d;
  logic [RouteBits-1:0] q_pos_q, q_pos_d;             // routes below this are sent
  // counters
  logic [63:0] sops_q, gadds_q, nupd_q, pin_q, spin_q, gin_q, tin_q, rin_q, rbusy_q;
  logic [63:0] fires_q, fcyc_q, fstall_q, sout_q, clamp_q;
  logic [63:0] sops_d, gadds_d, nupd_d, pin_d, spin_d, gin_d, tin_d, rin_d, rbusy_d;
  logic [63:0] fires_d, fcyc_d, fstall_d, sout_d, clamp_d;
  logic [31:0] qpeak_q, qpeak_d;

  // ---- shell ---------------------------------------------------------------------------------
  logic                 head_valid, head_tag, head_pop;
  logic [1:0]           head_kind;
  logic [PB-1:0]        head_axon;
  logic [31:0]          head_value;
  logic                 rel_push, rel2_push, rel_tag, rel2_tag;
  logic [InRoutes-1:0]  rel_mask, rel2_mask;
  logic                 pkt_valid, pkt_mc, pkt_tag, pkt_taken, rel_due;
  logic [1:0]           pkt_kind;
  logic [AB-1:0]        pkt_addr;
  logic [PB-1:0]        pkt_payload;
  logic [31:0]          pkt_value;
  logic                 shell_we;
  logic [63:0]          packets_out, send_refused;
  logic [31:0]          fifo_peak;

  unit_shell #(
    .FifoFlits(FifoFlits),
    .InRoutes (InRoutes)
  ) u_shell (
    .clk_i           (clk_i),
    .rst_ni          (rst_ni),
    .rx_valid_i      (rx_valid_i),
    .rx_kind_i       (rx_kind_i),
    .rx_tag_i        (rx_tag_i),
    .rx_axon_i       (rx_axon_i),
    .rx_value_i      (rx_value_i),
    .rx_credit_o     (rx_credit_o),
    .head_valid_o    (head_valid),
    .head_kind_o     (head_kind),
    .head_tag_o      (head_tag),
    .head_axon_o     (head_axon),
    .head_value_o    (head_value),
    .head_pop_i      (head_pop),
    .rel_push_i      (rel_push),
    .rel_mask_i      (rel_mask),
    .rel_tag_i       (rel_tag),
    .rel2_push_i     (rel2_push),
    .rel2_mask_i     (rel2_mask),
    .rel2_tag_i      (rel2_tag),
    .pkt_valid_i     (pkt_valid),
    .pkt_kind_i      (pkt_kind),
    .pkt_mc_i        (pkt_mc),
    .pkt_addr_i      (pkt_addr),
    .pkt_tag_i       (pkt_tag),
    .pkt_payload_i   (pkt_payload),
    .pkt_value_i     (pkt_value),
    .pkt_taken_o     (pkt_taken),
    .rel_due_o       (rel_due),
    .tx_valid_o      (tx_valid_o),
    .tx_kind_o       (tx_kind_o),
    .tx_mc_o         (tx_mc_o),
    .tx_addr_o       (tx_addr_o),
    .tx_tag_o        (tx_tag_o),
    .tx_payload_o    (tx_payload_o),
    .tx_value_o      (tx_value_o),
    .tx_ready_i      (tx_ready_i),
    .load_we_i       (shell_we),
    .load_idx_i      (load_addr_i[4 +: InBits]),
    .load_src_addr_i (load_data_i[AB-1:0]),
    .load_src_route_i(load_data_i[32 +: PB]),
    .packets_out_o   (packets_out),
    .send_refused_o  (send_refused),
    .fifo_peak_o     (fifo_peak)
  );

  // ---- load port -----------------------------------------------------------------------------
  logic [3:0]  ld_tab, ld_field;
  logic [23:0] ld_idx;

  assign ld_tab = load_addr_i[31:28];
  assign ld_idx = load_addr_i[27:4];
  assign ld_field = load_addr_i[3:0];
  // in-route field 10: {src route [63:32], src address [31:0]} goes to the shell's table
  assign shell_we = load_we_i && ld_tab == TabIn && ld_field == 4'd10;

  // The configuration tables are written in place (register files, as the shell's table).
  always_ff @(posedge clk_i) begin
    if (load_we_i) begin
      if (ld_tab == TabGlobal) begin
        time_steps_q <= load_data_i[31:0];
      end
      if (ld_tab == TabPiece && ld_idx < 24'(Pieces)) begin
        case (ld_field)
          4'd0: pc_valid_q[ld_idx[PieceBits-1:0]] <= load_data_i[0];
          4'd1: pc_base_q[ld_idx[PieceBits-1:0]] <= load_data_i[AccBits-1:0];
          4'd2: pc_elems_q[ld_idx[PieceBits-1:0]] <= load_data_i[31:0];
          4'd3: pc_acc_axon_q[ld_idx[PieceBits-1:0]] <= load_data_i[31:0];
          4'd4: pc_has_enc_q[ld_idx[PieceBits-1:0]] <= load_data_i[0];
          4'd5: pc_enc_axon_q[ld_idx[PieceBits-1:0]] <= load_data_i[31:0];
          4'd6: pc_c0_q[ld_idx[PieceBits-1:0]] <= load_data_i[31:0];
          4'd7: pc_h_q[ld_idx[PieceBits-1:0]] <= load_data_i[31:0];
          4'd8: pc_w_q[ld_idx[PieceBits-1:0]] <= load_data_i[31:0];
          4'd9: pc_n_encr_q[ld_idx[PieceBits-1:0]] <= load_data_i[15:0];
          4'd10: pc_encr_q[ld_idx[PieceBits-1:0]] <= load_data_i[InRoutes-1:0];
          4'd11: pc_rows_q[ld_idx[PieceBits-1:0]] <= load_data_i[31:0];
          4'd12: pc_y0_q[ld_idx[PieceBits-1:0]] <= load_data_i[31:0];
          default: ;
        endcase
      end
      if (ld_tab == TabElem && ld_idx < 24'(AccWords)) begin
        el_end_q[ld_idx[AccBits-1:0]] <= load_data_i[62];
        el_ch_q[ld_idx[AccBits-1:0]] <= load_data_i[47:32];
        el_y_q[ld_idx[AccBits-1:0]] <= load_data_i[31:16];
        el_x_q[ld_idx[AccBits-1:0]] <= load_data_i[15:0];
      end
      if (ld_tab == TabProj && ld_idx < 24'(Projs)) begin
        case (ld_field)
          4'd0: pj_valid_q[ld_idx[$clog2(Projs > 1 ? Projs : 2)-1:0]] <= load_data_i[0];
          4'd1: pj_piece_q[ld_idx[$clog2(Projs > 1 ? Projs : 2)-1:0]] <= load_data_i[PieceBits-1:0];
          4'd2: pj_k_q[ld_idx[$clog2(Projs > 1 ? Projs : 2)-1:0]] <= load_data_i[KBits-1:0];
          4'd3: pj_stride_q[ld_idx[$clog2(Projs > 1 ? Projs : 2)-1:0]] <= load_data_i[KBits-1:0];
          4'd4: pj_pad_q[ld_idx[$clog2(Projs > 1 ? Projs : 2)-1:0]] <= load_data_i[KBits-1:0];
          4'd5: pj_wbase_q[ld_idx[$clog2(Projs > 1 ? Projs : 2)-1:0]] <= load_data_i[WBits-1:0];
          4'd6: pj_g_q[ld_idx[$clog2(Projs > 1 ? Projs : 2)-1:0]] <= load_data_i[15:0];
          default: ;
        endcase
      end
      if (ld_tab == TabWeight && ld_idx < 24'(WeightWords)) begin
        weight_q[ld_idx[WBits-1:0]] <= load_data_i[15:0];
      end
      if (ld_tab == TabIn && ld_idx < 24'(InRoutes)) begin
        case (ld_field)
          4'd0: in_kind_q[ld_idx[InBits-1:0]] <= load_data_i[1:0];
          4'd1: in_base_q[ld_idx[InBits-1:0]] <= load_data_i[31:0];
          4'd2: in_size_q[ld_idx[InBits-1:0]] <= load_data_i[31:0];
          4'd3: in_plane_q[ld_idx[InBits-1:0]] <= load_data_i[31:0];
          4'd4: in_width_q[ld_idx[InBits-1:0]] <= load_data_i[15:0];
          4'd5: in_c0_q[ld_idx[InBits-1:0]] <= load_data_i[31:0];
          4'd6: in_y0_q[ld_idx[InBits-1:0]] <= load_data_i[31:0];
          4'd7: in_projs_q[ld_idx[InBits-1:0]] <= load_data_i[Projs-1:0];
          4'd8: in_pieces_q[ld_idx[InBits-1:0]] <= load_data_i[Pieces-1:0];
          4'd9: in_npieces_q[ld_idx[InBits-1:0]] <= load_data_i[15:0];
          default: ;
        endcase
      end
      if (ld_tab == TabReader && ld_idx < 24'(Readers)) begin
        case (ld_field)
          4'd0: rd_valid_q[ld_idx[ReaderBits-1:0]] <= load_data_i[0];
          4'd1: rd_piece_q[ld_idx[ReaderBits-1:0]] <= load_data_i[PieceBits-1:0];
          4'd2: rd_phase_q[ld_idx[ReaderBits-1:0]] <= load_data_i[31:0];
          4'd3: begin
            rd_has_prev_q[ld_idx[ReaderBits-1:0]] <= load_data_i[32];
            rd_prev_q[ld_idx[ReaderBits-1:0]] <= load_data_i[ReaderBits-1:0];
          end
          4'd4: begin
            rd_mean_q[ld_idx[ReaderBits-1:0]] <= load_data_i[0];
            rd_last_q[ld_idx[ReaderBits-1:0]] <= load_data_i[1];
            rd_need_enc_q[ld_idx[ReaderBits-1:0]] <= load_data_i[2];
          end
          4'd5: rd_need_q[ld_idx[ReaderBits-1:0]] <= load_data_i[15:0];
          4'd6: rd_cbase_q[ld_idx[ReaderBits-1:0]] <= load_data_i[ChanBits-1:0];
          4'd7: rd_mgrp_q[ld_idx[ReaderBits-1:0]] <= load_data_i[MGBits-1:0];
          4'd8: rd_pop_q[ld_idx[ReaderBits-1:0]] <= load_data_i[31:0];
          default: ;
        endcase
      end
      if (ld_tab == TabChan && ld_idx < 24'(ChanWords)) begin
        if (ld_field == 4'd0) begin
          ch_bias_q[ld_idx[ChanBits-1:0]] <= load_data_i;
        end else begin
          ch_th2_q[ld_idx[ChanBits-1:0]] <= load_data_i;
        end
      end
      if (ld_tab == TabRoute && ld_idx < 24'(Routes)) begin
        case (ld_field)
          4'd0: begin
            rt_valid_q[ld_idx[RouteBits-1:0]] <= load_data_i[32];
            rt_send_q[ld_idx[RouteBits-1:0]] <= load_data_i[33];
            rt_mc_q[ld_idx[RouteBits-1:0]] <= load_data_i[34];
            rt_src_q[ld_idx[RouteBits-1:0]] <= load_data_i[ReaderBits-1:0];
          end
          4'd1: rt_addr_q[ld_idx[RouteBits-1:0]] <= load_data_i[AB-1:0];
          4'd2: rt_dst_route_q[ld_idx[RouteBits-1:0]] <= load_data_i[PB-1:0];
          4'd3: rt_axon_q[ld_idx[RouteBits-1:0]] <= load_data_i[31:0];
          default: ;
        endcase
      end
    end
  end

  // ---- receive engine ------------------------------------------------------------------------
  // A spike is walked by Adders lanes, one SOP each per cycle, over its SOPs in the C model's
  // order (projection, output row, output column, channel): lane i of a cycle whose first SOP is
  // t0 adds the weight of SOP t0 + i. The walk starts in the cycle the spike is taken and takes
  // max(1, ceil(SOPs / Adders)) cycles, the busy time; nothing observes the accumulators of the
  // pieces it writes before the route's token, taken after the busy time, so adding over those
  // cycles is what the C model's all-at-once addition is, cycle for cycle.
  localparam int unsigned ProjBits = $clog2(Projs > 1 ? Projs : 2);
  localparam bit AddersPow2 = (Adders & (Adders - 1)) == 0;
  localparam int unsigned AdderShift = $clog2(Adders);

  // Divisions whose operands the loader bounds, so that none is a full-width divider (yosys
  // builds `/` as a 32 x 32 array of subtractors; the core has one per lane and projection):
  // n / d with a quotient below 2^qbits (qbits constant at each call, at most 16) in qbits
  // restoring steps, 0 for d = 0 ...
  function automatic logic [31:0] div_q(input logic [31:0] n, input logic [31:0] d,
                                        input int unsigned qbits);
    logic [31:0] r;
    r = n;
    div_q = '0;
    for (int b = 15; b >= 0; b--) begin
      if (b < qbits && d != '0 && (r >> b) >= d) begin
        r = r - (d << b);
        div_q[b] = 1'b1;
      end
    end
  endfunction
  // ... and n / d for a divisor below 2^KBits (a stride), by long division over n's bits with
  // a KBits + 1-bit remainder, 0 for d = 0.
  function automatic logic signed [33:0] div_s(input logic signed [33:0] n,
                                               input logic [KBits-1:0] d);
    logic [KBits:0] r;
    r = '0;
    div_s = '0;
    for (int b = 33; b >= 0; b--) begin
      r = {r[KBits-1:0], n[b]};
      if (d != '0 && r >= {1'b0, d}) begin
        r = r - {1'b0, d};
        div_s[b] = 1'b1;
      end
    end
  endfunction

  logic                take;              // the head is taken in this cycle
  logic [InBits-1:0]   sp_route;          // a spike's incoming route
  logic [31:0]         sp_ch, sp_y, sp_x; // its source neuron (population channel, row, column)
  logic                walk;              // the walker adds in this cycle
  logic [InBits-1:0]   w_route;           // the spike it walks
  logic [31:0]         w_ch, w_y, w_x;    // its source neuron
  logic [31:0]         w_t0;              // its first SOP of this cycle
  logic [31:0]         sops;              // its SOPs
  logic [31:0]         pj_ylo [Projs];    // per projection: the first output row it reaches
  logic [31:0]         pj_xlo [Projs];    // the first output column
  logic [31:0]         pj_nx [Projs];     // the columns
  logic [31:0]         pj_start [Projs];  // its first SOP
  logic [31:0]         pj_cnt [Projs];    // its SOPs
  // the reach as registered at the end of the cycle: what a walk goes on with (no reset: read
  // only in the cycle after it was written, walk_q)
  logic [31:0]         pj_ylo_q [Projs], pj_xlo_q [Projs], pj_nx_q [Projs];
  logic [31:0]         pj_start_q [Projs], pj_cnt_q [Projs];
  logic [31:0]         sops_walk_q;
  logic                ln_hit [Adders];   // lane i adds in this cycle
  logic [AccBits-1:0]  ln_acc [Adders];   // into this accumulator
  logic signed [15:0]  ln_w [Adders];     // this weight
  logic                walk_q, walk_d;    // the walk goes on in the next cycle
  logic [InBits-1:0]   walk_route_q, walk_route_d;
  logic [31:0]         walk_ch_q, walk_ch_d, walk_y_q, walk_y_d, walk_x_q, walk_x_d;
  logic [31:0]         walk_t_q, walk_t_d;
  logic                gr_hit, gr_enc;    // a graded event's element, accumulator or register
  logic [AccBits-1:0]  gr_addr;
  logic [PieceBits-1:0] gr_piece;         // the piece of an encoder-register element
  logic [31:0]         cycles;            // the packet's busy cycles

  always_comb begin
    logic [31:0] e, pos;

    take = head_valid && busy_q == '0;
    // (the decode, the reach and the lanes are computed only when used: in a cycle without a
    // spike to take or walk they are 0, which nothing reads; a simulator then skips them)
    e = '0;
    pos = '0;
    sp_route = '0;
    sp_ch = '0;
    sp_y = '0;
    sp_x = '0;
    if (take && head_kind == spk_noc_pkg::KindSpike) begin
      for (int i = InRoutes - 1; i >= 0; i--) begin
        if (in_kind_q[i] == InSpike && 32'(head_axon) >= in_base_q[i] &&
            32'(head_axon) - in_base_q[i] < in_size_q[i]) begin
          sp_route = InBits'(i);
        end
      end
      e = 32'(head_axon) - in_base_q[sp_route];
      sp_ch = div_q(e, in_plane_q[sp_route], 16);
      pos = e - sp_ch * in_plane_q[sp_route];
      sp_y = div_q(pos, 32'(in_width_q[sp_route]), 16);
      sp_x = pos - sp_y * 32'(in_width_q[sp_route]);
      sp_ch = sp_ch + in_c0_q[sp_route];
      sp_y = sp_y + in_y0_q[sp_route];
    end

    // the spike walked in this cycle: the one taken now, or the one in progress
    walk = (take && head_kind == spk_noc_pkg::KindSpike) || walk_q;
    w_route = walk_q ? walk_route_q : sp_route;
    w_ch = walk_q ? walk_ch_q : sp_ch;
    w_y = walk_q ? walk_y_q : sp_y;
    w_x = walk_q ? walk_x_q : sp_x;
    w_t0 = walk_q ? walk_t_q : '0;

    // what each projection of its route reaches (spk_sem_reach(), clipped to the piece):
    // computed in the cycle the spike is taken, registered for the rest of its walk
    sops = '0;
    for (int j = 0; j < Projs; j++) begin
      pj_ylo[j] = '0;
      pj_xlo[j] = '0;
      pj_nx[j] = '0;
      pj_start[j] = '0;
      pj_cnt[j] = '0;
    end
    for (int i = 0; i < Adders; i++) begin
      ln_hit[i] = 1'b0;
      ln_acc[i] = '0;
      ln_w[i] = '0;
    end
    if (walk_q) begin
      for (int j = 0; j < Projs; j++) begin
        pj_ylo[j] = pj_ylo_q[j];
        pj_xlo[j] = pj_xlo_q[j];
        pj_nx[j] = pj_nx_q[j];
        pj_start[j] = pj_start_q[j];
        pj_cnt[j] = pj_cnt_q[j];
      end
      sops = sops_walk_q;
    end else if (walk) begin
      for (int j = 0; j < Projs; j++) begin
        logic [PieceBits-1:0] p;
        logic signed [33:0] top, lo, hi;
        logic [31:0] ny;

        p = pj_piece_q[j];
        top = 34'(w_y) + 34'(pj_pad_q[j]);
        lo = top - 34'(pj_k_q[j]) + 34'sd1;
        lo = (lo <= 0) ? 34'sd0 : div_s(lo + 34'(pj_stride_q[j]) - 34'sd1, pj_stride_q[j]);
        hi = div_s(top, pj_stride_q[j]) + 34'sd1;
        lo = (lo < 34'(pc_y0_q[p])) ? 34'(pc_y0_q[p]) : lo;
        hi = (hi > 34'(pc_y0_q[p]) + 34'(pc_rows_q[p])) ? 34'(pc_y0_q[p]) + 34'(pc_rows_q[p]) : hi;
        lo = (lo > hi) ? hi : lo;
        pj_ylo[j] = 32'(lo);
        ny = 32'(hi - lo);
        top = 34'(w_x) + 34'(pj_pad_q[j]);
        lo = top - 34'(pj_k_q[j]) + 34'sd1;
        lo = (lo <= 0) ? 34'sd0 : div_s(lo + 34'(pj_stride_q[j]) - 34'sd1, pj_stride_q[j]);
        hi = div_s(top, pj_stride_q[j]) + 34'sd1;
        hi = (hi > 34'(pc_w_q[p])) ? 34'(pc_w_q[p]) : hi;
        lo = (lo > hi) ? hi : lo;
        pj_xlo[j] = 32'(lo);
        pj_nx[j] = 32'(hi - lo);
        pj_start[j] = sops;
        pj_cnt[j] = (pj_valid_q[j] && in_projs_q[w_route][j]) ? ny * pj_nx[j] * 32'(pj_g_q[j])
                                                               : '0;
        sops = sops + pj_cnt[j];
      end
    end
    if (walk) begin
      // the lanes: SOP t = t0 + i is tap (ky, kx) of channel o at output (oy, ox) of a projection
      for (int i = 0; i < Adders; i++) begin
        logic [31:0] t, u, q, o, r, c, oy, ox, ky, kx;
        logic [ProjBits-1:0] j;
        logic [PieceBits-1:0] p;
        logic [WBits-1:0] widx;

        t = w_t0 + 32'(i);
        j = '0;
        for (int k = Projs - 1; k >= 0; k--) begin
          if (t >= pj_start[k] && t - pj_start[k] < pj_cnt[k]) begin
            j = ProjBits'(k);
          end
        end
        p = pj_piece_q[j];
        u = t - pj_start[j];
        q = div_q(u, 32'(pj_g_q[j]), 8);
        o = u - q * 32'(pj_g_q[j]);
        r = div_q(q, pj_nx[j], 4);
        c = q - r * pj_nx[j];
        oy = pj_ylo[j] + r;
        ox = pj_xlo[j] + c;
        ky = w_y + 32'(pj_pad_q[j]) - oy * 32'(pj_stride_q[j]);
        kx = w_x + 32'(pj_pad_q[j]) - ox * 32'(pj_stride_q[j]);
        widx = WBits'(32'(pj_wbase_q[j]) +
                      ((w_ch * 32'(pj_k_q[j]) + ky) * 32'(pj_k_q[j]) + kx) * 32'(pj_g_q[j]) + o);
        ln_hit[i] = walk && t < sops;
        ln_acc[i] = pc_base_q[p] + AccBits'((o * pc_rows_q[p] + oy - pc_y0_q[p]) * pc_w_q[p] + ox);
        ln_w[i] = weight_q[widx];
      end
    end
    walk_d = walk && w_t0 + 32'(Adders) < sops;
    walk_route_d = w_route;
    walk_ch_d = w_ch;
    walk_y_d = w_y;
    walk_x_d = w_x;
    walk_t_d = w_t0 + 32'(Adders);

    // a graded event: the piece whose accumulators (or encoder register) hold the axon
    gr_hit = 1'b0;
    gr_enc = 1'b0;
    gr_addr = '0;
    gr_piece = '0;
    for (int p = 0; p < Pieces; p++) begin
      if (pc_valid_q[p] && 32'(head_axon) >= pc_acc_axon_q[p] &&
          32'(head_axon) - pc_acc_axon_q[p] < pc_elems_q[p]) begin
        gr_hit = 1'b1;
        gr_addr = pc_base_q[p] + AccBits'(32'(head_axon) - pc_acc_axon_q[p]);
      end
      if (pc_valid_q[p] && pc_has_enc_q[p] && 32'(head_axon) >= pc_enc_axon_q[p] &&
          32'(head_axon) - pc_enc_axon_q[p] < pc_elems_q[p]) begin
        gr_hit = 1'b1;
        gr_enc = 1'b1;
        gr_piece = PieceBits'(p);
        gr_addr = pc_base_q[p] + AccBits'(32'(head_axon) - pc_enc_axon_q[p]);
      end
    end

    cycles = 32'd1;
    if (head_kind == spk_noc_pkg::KindSpike && sops != '0) begin
      cycles = AddersPow2 ? (sops + 32'(Adders) - 32'd1) >> AdderShift
                          : (sops + 32'(Adders) - 32'd1) / 32'(Adders);
    end
  end

  assign head_pop = take;

  // ---- fire engine ---------------------------------------------------------------------------
  logic                 pick_ok;          // a reader may start a fire
  logic [ReaderBits-1:0] pick_r;
  logic                 fire_act;         // the fire engine works on a group in this cycle
  logic [ReaderBits-1:0] fr;              // its reader
  logic [PieceBits-1:0] fp;               // its piece
  logic [31:0]          fe0;              // its first element
  logic                 f_last_group, f_routed, f_stall, f_first;
  logic                 lane_v [NU];      // lane j holds element fe0 + j
  logic [AccBits-1:0]   lane_a [NU];      // its accumulator address
  logic signed [MB-1:0] lane_v_new [NU];  // its new membrane
  logic                 lane_spk [NU];    // it spiked
  logic                 lane_gr [NU];     // mean reader: it ends its channel: a partial sum
  logic [31:0]          lane_gr_ch [NU];  // that channel (site)
  logic signed [63:0]   lane_gr_sum [NU]; // that sum
  logic [31:0]          f_need;           // queue entries the group takes
  logic signed [63:0]   f_msum;           // the running sum after the group
  logic [31:0]          qfree;
  logic [MGBits-1:0]    f_grp;            // the group's neuron-memory word
  logic [MemWordBits-1:0] m_cur;          // that word as it is before this cycle's write

  // The pick (sim/core.c may_fire(), pick()): of the readers that may fire, the one with the
  // lowest (phase, step, piece). The fire engine picks on the registered state; the membrane
  // prefetch repeats the pick on the next state (below), which gives the same reader one cycle
  // earlier (the C model keeps its pick_q the same way). The two tests, for either state:
  function automatic logic may_fire(input logic valid, input logic [31:0] piece_step,
                                    input logic [31:0] s, input logic prev_behind,
                                    input logic [15:0] tok, input logic [15:0] need,
                                    input logic enc_short, input logic held);
    may_fire = valid && piece_step == s && !prev_behind && tok >= need && !enc_short && !held;
  endfunction
  function automatic logic pick_better(input logic first, input logic [31:0] phase,
                                       input logic [31:0] s, input logic [PieceBits-1:0] p,
                                       input logic [31:0] best_phase, input logic [31:0] best_s,
                                       input logic [PieceBits-1:0] best_p);
    pick_better = first || phase < best_phase ||
                  (phase == best_phase && (s < best_s || (s == best_s && p < best_p)));
  endfunction

  // per reader: it has routes (rd_routed), and one of them is not yet released for the step
  // it would fire next (rd_held): one pass over the routing table
  logic rd_routed [Readers];
  logic rd_held [Readers];

  always_comb begin
    for (int r = 0; r < Readers; r++) begin
      rd_routed[r] = 1'b0;
      rd_held[r] = 1'b0;
    end
    for (int k = 0; k < Routes; k++) begin
      if (rt_valid_q[k]) begin
        rd_routed[rt_src_q[k]] = 1'b1;
        if (rt_rel_q[k] < rd_fired_q[rt_src_q[k]]) begin
          rd_held[rt_src_q[k]] = 1'b1;
        end
      end
    end
  end

  always_comb begin
    pick_ok = 1'b0;
    pick_r = '0;
    for (int r = 0; r < Readers; r++) begin
      logic [PieceBits-1:0] p;
      logic [31:0] s;

      p = rd_piece_q[r];
      s = rd_fired_q[r];
      if (may_fire(rd_valid_q[r], pc_step_q[p], s,
                   rd_has_prev_q[r] && rd_fired_q[rd_prev_q[r]] <= s, pc_tok_q[p], rd_need_q[r],
                   rd_need_enc_q[r] && pc_etok_q[p] < pc_n_encr_q[p], rd_held[r]) &&
          pick_better(!pick_ok, rd_phase_q[r], s, p, rd_phase_q[pick_r], rd_fired_q[pick_r],
                      rd_piece_q[pick_r])) begin
        pick_ok = 1'b1;
        pick_r = ReaderBits'(r);
      end
    end
  end

  always_comb begin
    logic signed [63:0] sum;
    logic [31:0] n;

    fire_act = fire_q || pick_ok;
    fr = fire_q ? fire_r_q : pick_r;
    fp = rd_piece_q[fr];
    fe0 = fire_q ? fire_e_q : '0;
    sum = fire_q ? msum_q : '0;
    f_first = pc_t_q[fp] == '0;
    f_grp = rd_mgrp_q[fr] + (fire_q ? fire_g_q : '0);
    f_last_group = fe0 + 32'(NU) >= pc_elems_q[fp];
    f_routed = rd_routed[fr];
    n = '0;
    for (int j = 0; j < NU; j++) begin
      logic [31:0] e;
      logic [ChanBits-1:0] cw;
      logic signed [63:0] x, v, acc_sum, h;

      e = fe0 + 32'(j);
      lane_v[j] = e < pc_elems_q[fp];
      lane_a[j] = pc_base_q[fp] + AccBits'(e);
      cw = rd_cbase_q[fr] + ChanBits'(el_ch_q[lane_a[j]]);
      x = ch_bias_q[cw] + acc_q[lane_a[j]] +
          ((rd_need_enc_q[fr] && enc_img_q[lane_a[j]] == pc_img_q[fp]) ?
           64'(enc_q[lane_a[j]]) : 64'sd0);
      v = f_first ? 64'sd0 : 64'($signed(m_cur[j*MB +: MB]));
      acc_sum = v + x;
      h = acc_sum >>> 1;
      lane_spk[j] = lane_v[j] && !rd_mean_q[fr] && acc_sum >= ch_th2_q[cw];
      lane_v_new[j] = lane_spk[j] ? '0 :
                      (h < SatMin) ? MB'(SatMin) : (h > SatMax) ? MB'(SatMax) : MB'(h);
      lane_gr[j] = 1'b0;
      lane_gr_ch[j] = pc_c0_q[fp] + 32'(el_ch_q[lane_a[j]]);
      lane_gr_sum[j] = '0;
      if (lane_v[j] && rd_mean_q[fr]) begin
        sum = sum + x;
        if (el_end_q[lane_a[j]]) begin
          lane_gr[j] = 1'b1;
          lane_gr_sum[j] = sum;
          sum = '0;
        end
      end
      n = n + 32'(lane_spk[j]) + 32'(lane_gr[j]);
    end
    f_msum = sum;
    f_need = n + 32'(f_last_group);
    qfree = 32'(QE) - 32'(q_len_q);
    f_stall = fire_act && f_routed && f_need > qfree;
  end

  // ---- send engine ---------------------------------------------------------------------------
  logic [RouteBits-1:0] s_cur;       // the head entry's current send
  logic                 s_more;      // it has another send after this one
  logic                 q_pop;

  always_comb begin
    logic found;
    logic [ReaderBits-1:0] r;

    r = q_rd_q[q_head_q];
    found = 1'b0;
    s_cur = '0;
    s_more = 1'b0;
    for (int k = 0; k < Routes; k++) begin
      if (rt_valid_q[k] && rt_send_q[k] && rt_src_q[k] == r && RouteBits'(k) >= q_pos_q) begin
        if (found) begin
          s_more = 1'b1;
        end else begin
          found = 1'b1;
          s_cur = RouteBits'(k);
        end
      end
    end
    pkt_valid = q_len_q != '0;
    pkt_mc = rt_mc_q[s_cur];
    pkt_addr = rt_addr_q[s_cur];
    pkt_tag = q_tag_q[q_head_q];
    pkt_value = '0;
    case (q_kind_q[q_head_q])
      QSpike: begin
        pkt_kind = spk_noc_pkg::KindSpike;
        pkt_payload = PB'((rt_mc_q[s_cur] ? 32'd0 : rt_axon_q[s_cur]) + q_off_q[q_head_q]);
      end
      QGraded: begin
        pkt_kind = spk_noc_pkg::KindGraded;
        pkt_payload = PB'(rt_axon_q[s_cur] + q_off_q[q_head_q]);
        pkt_value = q_val_q[q_head_q];
      end
      default: begin
        pkt_kind = spk_noc_pkg::KindToken;
        pkt_payload = rt_mc_q[s_cur] ? '0 : rt_dst_route_q[s_cur];
      end
    endcase
    q_pop = pkt_taken && !s_more;
    q_pos_d = q_pos_q;
    if (pkt_taken) begin
      q_pos_d = s_more ? s_cur + RouteBits'(1) : '0;
    end
  end

  // ---- next state ----------------------------------------------------------------------------
  logic [PushBits-1:0] q_push_n;      // entries pushed in this cycle
  logic           q_we [NU + 1];      // push slot i
  logic [QBits-1:0] q_widx [NU + 1];
  logic [1:0]     q_wkind [NU + 1];
  logic [31:0]    q_woff [NU + 1];
  logic [31:0]    q_wval [NU + 1];
  logic           f_done;             // the fire's last group went in this cycle
  logic [Pieces-1:0] pc_clear;        // the piece moves on (its last reader finished)
  logic                 m_we;             // the group's membranes are written back
  logic                 clr_we [NU];      // accumulator clear of lane j
  logic                 gr_we;            // graded add into gr_addr
  logic                 enc_we;           // encoder-register write of gr_addr

  localparam logic [QBits+1:0] QE2 = QBitsP2'(QE);
  function automatic logic [QBits-1:0] q_wrap(input logic [QBits+1:0] i);
    q_wrap = (i >= QE2) ? QBits'(i - QE2) : QBits'(i);
  endfunction

  always_comb begin
    logic [QBits+1:0] tail;
    logic fire_go;
    logic enc_clear;
    logic [31:0] n_upd;

    // defaults: everything holds
    m_we = 1'b0;
    for (int j = 0; j < NU; j++) begin
      clr_we[j] = 1'b0;
    end
    gr_we = 1'b0;
    enc_we = 1'b0;
    for (int i = 0; i < Pieces; i++) pc_step_d[i] = pc_step_q[i];
    for (int i = 0; i < Pieces; i++) pc_t_d[i] = pc_t_q[i];
    for (int i = 0; i < Pieces; i++) pc_img_d[i] = pc_img_q[i];
    for (int i = 0; i < Pieces; i++) pc_tok_d[i] = pc_tok_q[i];
    for (int i = 0; i < Pieces; i++) pc_etok_d[i] = pc_etok_q[i];
    for (int i = 0; i < InRoutes; i++) in_done_d[i] = in_done_q[i];
    for (int i = 0; i < Readers; i++) rd_fired_d[i] = rd_fired_q[i];
    for (int i = 0; i < Routes; i++) rt_rel_d[i] = rt_rel_q[i];
    fire_d = fire_q;
    fire_r_d = fire_r_q;
    fire_e_d = fire_e_q;
    fire_g_d = fire_g_q;
    msum_d = msum_q;
    sops_d = sops_q;
    gadds_d = gadds_q;
    nupd_d = nupd_q;
    pin_d = pin_q;
    spin_d = spin_q;
    gin_d = gin_q;
    tin_d = tin_q;
    rin_d = rin_q;
    rbusy_d = rbusy_q;
    fires_d = fires_q;
    fcyc_d = fcyc_q;
    fstall_d = fstall_q;
    sout_d = sout_q;
    clamp_d = clamp_q;
    rel_push = 1'b0;
    rel_mask = '0;
    rel_tag = pc_step_q[fp][0];
    rel2_push = 1'b0;
    rel2_mask = '0;
    rel2_tag = pc_img_q[fp][0];
    f_done = 1'b0;
    pc_clear = '0;
    enc_clear = 1'b0;
    n_upd = '0;
    spike_o = '0;
    spike_pop_o = rd_pop_q[fr];
    spike_step_o = pc_step_q[fp];
    for (int i = 0; i <= NU; i++) begin
      q_we[i] = 1'b0;
      q_widx[i] = '0;
      q_wkind[i] = QSpike;
      q_woff[i] = '0;
      q_wval[i] = '0;
    end

    // fire: the group (fire() before receive(), as the C model's eval())
    fire_go = fire_act && !f_stall;
    if (fire_act) begin
      fire_d = 1'b1;
      fire_r_d = fr;
      fire_e_d = fe0;
      fire_g_d = fire_q ? fire_g_q : '0;
      msum_d = fire_q ? msum_q : '0;
    end
    if (f_stall) begin
      fstall_d = fstall_q + 64'd1;
    end
    q_push_n = '0;
    tail = QBitsP2'(q_head_q) + QBitsP2'(q_len_q);
    if (fire_go) begin
      m_we = !rd_mean_q[fr];
      for (int j = 0; j < NU; j++) begin
        if (lane_v[j]) begin
          clr_we[j] = rd_last_q[fr];
        end
        if (lane_spk[j]) begin
          sout_d = sout_d + 64'd1;
          spike_o[j] = 1'b1;
        end
        if (f_routed && (lane_spk[j] || lane_gr[j])) begin
          q_we[PushIdxBits'(q_push_n)] = 1'b1;
          q_widx[PushIdxBits'(q_push_n)] = q_wrap(tail + QBitsP2'(q_push_n));
          q_wkind[PushIdxBits'(q_push_n)] = lane_spk[j] ? QSpike : QGraded;
          q_woff[PushIdxBits'(q_push_n)] = lane_spk[j] ? fe0 + 32'(j) : lane_gr_ch[j];
          q_wval[PushIdxBits'(q_push_n)] = '0;
          if (lane_gr[j]) begin
            if (lane_gr_sum[j] > 64'sd2147483647) begin
              q_wval[PushIdxBits'(q_push_n)] = 32'h7fffffff;
              clamp_d = clamp_d + 64'd1;
            end else if (lane_gr_sum[j] < -64'sd2147483648) begin
              q_wval[PushIdxBits'(q_push_n)] = 32'h80000000;
              clamp_d = clamp_d + 64'd1;
            end else begin
              q_wval[PushIdxBits'(q_push_n)] = lane_gr_sum[j][31:0];
            end
          end
          q_push_n = q_push_n + PushBits'(1);
        end
      end
      n_upd = f_last_group ? pc_elems_q[fp] - fe0 : 32'(NU);
      nupd_d = nupd_q + 64'(n_upd);
      fcyc_d = fcyc_q + 64'd1;
      fire_e_d = f_last_group ? pc_elems_q[fp] : fe0 + 32'(NU);
      fire_g_d = (fire_q ? fire_g_q : '0) + MGBits'(1);
      msum_d = f_msum;
      if (f_last_group) begin
        if (f_routed) begin
          q_we[PushIdxBits'(q_push_n)] = 1'b1;
          q_widx[PushIdxBits'(q_push_n)] = q_wrap(tail + QBitsP2'(q_push_n));
          q_wkind[PushIdxBits'(q_push_n)] = QMarker;
          q_push_n = q_push_n + PushBits'(1);
        end
        f_done = 1'b1;
        fire_d = 1'b0;
        rd_fired_d[fr] = rd_fired_q[fr] + 32'd1;
        fires_d = fires_q + 64'd1;
        if (rd_last_q[fr]) begin
          // fire_done(): the piece moves on; the routes it finished become due
          pc_clear[fp] = 1'b1;
          pc_step_d[fp] = pc_step_q[fp] + 32'd1;
          pc_t_d[fp] = (pc_t_q[fp] + 32'd1 == time_steps_q) ? '0 : pc_t_q[fp] + 32'd1;
          for (int i = 0; i < InRoutes; i++) begin
            if (in_kind_q[i] != InEncoder && in_pieces_q[i][fp]) begin
              if (in_done_q[i] + 16'd1 == in_npieces_q[i]) begin
                in_done_d[i] = '0;
                rel_mask[i] = 1'b1;
              end else begin
                in_done_d[i] = in_done_q[i] + 16'd1;
              end
            end
          end
          rel_push = 1'b1;
          if (pc_has_enc_q[fp] && pc_t_q[fp] + 32'd1 == time_steps_q) begin
            enc_clear = 1'b1;
            pc_img_d[fp] = pc_img_q[fp] + 32'd1;
            rel2_push = 1'b1;
            rel2_mask = pc_encr_q[fp];
          end
        end
      end
    end
    for (int j = 0; j < NU; j++) begin
      if (lane_v[j]) begin
        spike_neuron_o[32*j +: 32] = ((pc_c0_q[fp] + 32'(el_ch_q[lane_a[j]])) * pc_h_q[fp] +
                             32'(el_y_q[lane_a[j]])) * pc_w_q[fp] + 32'(el_x_q[lane_a[j]]);
      end else begin
        spike_neuron_o[32*j +: 32] = '0;
      end
    end
    for (int p = 0; p < Pieces; p++) begin
      if (pc_clear[p]) begin
        pc_tok_d[p] = '0;
      end
      if (pc_clear[p] && enc_clear) begin
        pc_etok_d[p] = '0;
      end
    end

    // receive: the spike walk's lanes (ln_hit) and the head packet, after the fire's clears as
    // in the C model (the accumulator write ports below)
    busy_d = (busy_q != '0) ? busy_q - 32'd1 : '0;
    if (take) begin
      pin_d = pin_q + 64'd1;
      rbusy_d = rbusy_q + 64'(cycles);
      busy_d = cycles - 32'd1;
      case (head_kind)
        spk_noc_pkg::KindSpike: begin
          spin_d = spin_q + 64'd1;
          sops_d = sops_q + 64'(sops);
        end
        spk_noc_pkg::KindGraded: begin
          gin_d = gin_q + 64'd1;
          if (gr_hit && gr_enc) begin
            enc_we = 1'b1;
          end else if (gr_hit) begin
            gr_we = 1'b1;
            gadds_d = gadds_q + 64'd1;
          end
        end
        spk_noc_pkg::KindToken: begin
          tin_d = tin_q + 64'd1;
          for (int p = 0; p < Pieces; p++) begin
            if (in_pieces_q[head_axon[InBits-1:0]][p]) begin
              if (in_kind_q[head_axon[InBits-1:0]] == InEncoder) begin
                pc_etok_d[p] = pc_etok_d[p] + 16'd1;
              end else begin
                pc_tok_d[p] = pc_tok_d[p] + 16'd1;
              end
            end
          end
        end
        default: begin
          rin_d = rin_q + 64'd1;
          rt_rel_d[head_axon[RouteBits-1:0]] = rt_rel_q[head_axon[RouteBits-1:0]] + 32'd1;
        end
      endcase
    end

    q_head_d = q_pop ? q_wrap(QBitsP2'(q_head_q) + QBitsP2'(1)) : q_head_q;
    q_len_d = q_len_q - QBitsP1'(q_pop) + QBitsP1'(q_push_n);
    qpeak_d = (32'(q_len_d) > qpeak_q) ? 32'(q_len_d) : qpeak_q;
  end

  // ---- memories ------------------------------------------------------------------------------
  // Accumulators: NU clear ports (the piece's last reader, per fired lane), Adders walk ports
  // and one graded-add port. In a cycle the clears come first, then the adds (the C model's
  // order, fire() before receive()); several ports on one address all write the same final
  // value, computed from the registered word.
  localparam int unsigned AccPorts = NU + Adders + 1;
  logic                 acc_we [AccPorts];
  logic [AccBits-1:0]   acc_wa [AccPorts];
  logic signed [63:0]   acc_wd [AccPorts];

  always_comb begin
    for (int k = 0; k < AccPorts; k++) begin
      if (k < NU) begin
        acc_we[k] = clr_we[k];
        acc_wa[k] = lane_a[k];
      end else if (k < NU + Adders) begin
        acc_we[k] = ln_hit[k - NU];
        acc_wa[k] = ln_acc[k - NU];
      end else begin
        acc_we[k] = gr_we;
        acc_wa[k] = gr_addr;
      end
    end
    for (int k = 0; k < AccPorts; k++) begin
      logic cleared;
      logic signed [63:0] v;

      v = '0;
      cleared = 1'b0;
      if (acc_we[k]) begin
        for (int j = 0; j < NU; j++) begin
          if (clr_we[j] && lane_a[j] == acc_wa[k]) begin
            cleared = 1'b1;
          end
        end
        v = cleared ? 64'sd0 : acc_q[acc_wa[k]];
        for (int i = 0; i < Adders; i++) begin
          if (ln_hit[i] && ln_acc[i] == acc_wa[k]) begin
            v = v + 64'(ln_w[i]);
          end
        end
        if (gr_we && gr_addr == acc_wa[k]) begin
          v = v + 64'($signed(head_value));
        end
      end
      acc_wd[k] = v;
    end
  end

  // The neuron memory: one word per group, behind the macro wrapper. In cycle x the fire engine
  // writes back the group it updates (lanes past the piece's end keep their word) while the word
  // of the group that fires in x + 1 is read: the next state's fire in progress, or the reader
  // the pick chooses on the next state. A read of the word written in the same cycle is
  // forwarded (the macro reads before it writes).
  logic                 rd_held_n [Readers];  // rd_held on the next state
  logic                 pick_n_ok;            // the pick on the next state
  logic [ReaderBits-1:0] pick_n_r;
  logic                 m_re;                 // a group fires in x + 1: read its word
  logic [MGBits-1:0]    m_raddr;
  logic [MemWordBits-1:0] m_wdata, m_rdata;
  logic                 m_fwd_q, m_fwd_d;     // the word read in x − 1 was written in x − 1
  logic [MemWordBits-1:0] m_fwd_data_q;       // what was written
  logic                 m_rvalid_q;           // the word read in x − 1, and its address
  logic [MGBits-1:0]    m_raddr_q;

  always_comb begin
    for (int r = 0; r < Readers; r++) rd_held_n[r] = 1'b0;
    for (int k = 0; k < Routes; k++) begin
      if (rt_valid_q[k] && rt_rel_d[k] < rd_fired_d[rt_src_q[k]]) begin
        rd_held_n[rt_src_q[k]] = 1'b1;
      end
    end
    pick_n_ok = 1'b0;
    pick_n_r = '0;
    for (int r = 0; r < Readers; r++) begin
      logic [PieceBits-1:0] p;
      logic [31:0] s;

      p = rd_piece_q[r];
      s = rd_fired_d[r];
      if (may_fire(rd_valid_q[r], pc_step_d[p], s,
                   rd_has_prev_q[r] && rd_fired_d[rd_prev_q[r]] <= s, pc_tok_d[p], rd_need_q[r],
                   rd_need_enc_q[r] && pc_etok_d[p] < pc_n_encr_q[p], rd_held_n[r]) &&
          pick_better(!pick_n_ok, rd_phase_q[r], s, p, rd_phase_q[pick_n_r],
                      rd_fired_d[pick_n_r], rd_piece_q[pick_n_r])) begin
        pick_n_ok = 1'b1;
        pick_n_r = ReaderBits'(r);
      end
    end
    m_re = fire_d || pick_n_ok;
    m_raddr = fire_d ? rd_mgrp_q[fire_r_d] + fire_g_d : rd_mgrp_q[pick_n_r];
    m_fwd_d = m_re && m_we && m_raddr == f_grp;
  end

  assign m_cur = m_fwd_q ? m_fwd_data_q : m_rdata;

  always_comb begin
    for (int j = 0; j < NU; j++) begin
      m_wdata[j*MB +: MB] = lane_v[j] ? lane_v_new[j] : m_cur[j*MB +: MB];
    end
  end

  sram_1r1w #(
    .Words(MemGroups),
    .Bits (MemWordBits)
  ) u_neuron_mem (
    .clk_i  (clk_i),
    .re_i   (m_re),
    .raddr_i(m_raddr),
    .rdata_o(m_rdata),
    .we_i   (m_we),
    .waddr_i(f_grp),
    .wdata_i(m_wdata)
  );

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      m_fwd_q <= 1'b0;
      m_rvalid_q <= 1'b0;
      m_raddr_q <= '0;
    end else begin
      m_fwd_q <= m_fwd_d;
      m_rvalid_q <= m_re;
      m_raddr_q <= m_raddr;
    end
  end

  // the forwarded word: data, read only when m_fwd_q says so
  always_ff @(posedge clk_i) begin
    m_fwd_data_q <= m_wdata;
  end

  // Reset clears them (the C model's cores start at 0); the encoder register's image tags then
  // equal every piece's image count 0 with value 0.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
`ifdef YOSYS  // yosys 0.23 reads no assignment patterns; Verilator takes no array writes in loops
      for (int i = 0; i < AccWords; i++) acc_q[i] <= '0;
      for (int i = 0; i < AccWords; i++) enc_q[i] <= '0;
      for (int i = 0; i < AccWords; i++) enc_img_q[i] <= '0;
`else
      acc_q <= '{default: '0};
      enc_q <= '{default: '0};
      enc_img_q <= '{default: '0};
`endif
    end else begin
      for (int k = 0; k < AccPorts; k++) begin
        if (acc_we[k]) begin
          acc_q[acc_wa[k]] <= acc_wd[k];
        end
      end
      if (enc_we) begin
        enc_q[gr_addr] <= head_value;
        enc_img_q[gr_addr] <= pc_img_d[gr_piece];
      end
    end
  end

  // ---- registers -----------------------------------------------------------------------------
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
`ifdef YOSYS  // yosys 0.23 reads no assignment patterns; Verilator takes no array writes in loops
      for (int i = 0; i < Pieces; i++) pc_step_q[i] <= '0;
      for (int i = 0; i < Pieces; i++) pc_t_q[i] <= '0;
      for (int i = 0; i < Pieces; i++) pc_img_q[i] <= '0;
      for (int i = 0; i < Pieces; i++) pc_tok_q[i] <= '0;
      for (int i = 0; i < Pieces; i++) pc_etok_q[i] <= '0;
      for (int i = 0; i < InRoutes; i++) in_done_q[i] <= '0;
      for (int i = 0; i < Readers; i++) rd_fired_q[i] <= '0;
      for (int i = 0; i < Routes; i++) rt_rel_q[i] <= '0;
`else
      pc_step_q <= '{default: '0};
      pc_t_q <= '{default: '0};
      pc_img_q <= '{default: '0};
      pc_tok_q <= '{default: '0};
      pc_etok_q <= '{default: '0};
      in_done_q <= '{default: '0};
      rd_fired_q <= '{default: '0};
      rt_rel_q <= '{default: '0};
`endif
      busy_q <= '0;
      walk_q <= 1'b0;
      walk_route_q <= '0;
      walk_ch_q <= '0;
      walk_y_q <= '0;
      walk_x_q <= '0;
      walk_t_q <= '0;
      fire_q <= 1'b0;
      fire_r_q <= '0;
      fire_e_q <= '0;
      fire_g_q <= '0;
      msum_q <= '0;
      q_head_q <= '0;
      q_len_q <= '0;
      q_pos_q <= '0;
      sops_q <= '0;
      gadds_q <= '0;
      nupd_q <= '0;
      pin_q <= '0;
      spin_q <= '0;
      gin_q <= '0;
      tin_q <= '0;
      rin_q <= '0;
      rbusy_q <= '0;
      fires_q <= '0;
      fcyc_q <= '0;
      fstall_q <= '0;
      sout_q <= '0;
      clamp_q <= '0;
      qpeak_q <= '0;
    end else begin
`ifdef YOSYS  // yosys 0.23 copies no whole arrays; Verilator takes no array writes in loops
      for (int i = 0; i < Pieces; i++) pc_step_q[i] <= pc_step_d[i];
      for (int i = 0; i < Pieces; i++) pc_t_q[i] <= pc_t_d[i];
      for (int i = 0; i < Pieces; i++) pc_img_q[i] <= pc_img_d[i];
      for (int i = 0; i < Pieces; i++) pc_tok_q[i] <= pc_tok_d[i];
      for (int i = 0; i < Pieces; i++) pc_etok_q[i] <= pc_etok_d[i];
      for (int i = 0; i < InRoutes; i++) in_done_q[i] <= in_done_d[i];
      for (int i = 0; i < Readers; i++) rd_fired_q[i] <= rd_fired_d[i];
      for (int i = 0; i < Routes; i++) rt_rel_q[i] <= rt_rel_d[i];
`else
      pc_step_q <= pc_step_d;
      pc_t_q <= pc_t_d;
      pc_img_q <= pc_img_d;
      pc_tok_q <= pc_tok_d;
      pc_etok_q <= pc_etok_d;
      in_done_q <= in_done_d;
      rd_fired_q <= rd_fired_d;
      rt_rel_q <= rt_rel_d;
`endif
      busy_q <= busy_d;
      walk_q <= walk_d;
      walk_route_q <= walk_route_d;
      walk_ch_q <= walk_ch_d;
      walk_y_q <= walk_y_d;
      walk_x_q <= walk_x_d;
      walk_t_q <= walk_t_d;
      fire_q <= fire_d;
      fire_r_q <= fire_r_d;
      fire_e_q <= fire_e_d;
      fire_g_q <= fire_g_d;
      msum_q <= msum_d;
      q_head_q <= q_head_d;
      q_len_q <= q_len_d;
      q_pos_q <= q_pos_d;
      sops_q <= sops_d;
      gadds_q <= gadds_d;
      nupd_q <= nupd_d;
      pin_q <= pin_d;
      spin_q <= spin_d;
      gin_q <= gin_d;
      tin_q <= tin_d;
      rin_q <= rin_d;
      rbusy_q <= rbusy_d;
      fires_q <= fires_d;
      fcyc_q <= fcyc_d;
      fstall_q <= fstall_d;
      sout_q <= sout_d;
      clamp_q <= clamp_d;
      qpeak_q <= qpeak_d;
    end
  end

  // the reach of the spike being walked (data registers, no reset)
  always_ff @(posedge clk_i) begin
`ifdef YOSYS  // yosys 0.23 copies no whole arrays; Verilator takes no array writes in loops
    for (int j = 0; j < Projs; j++) pj_ylo_q[j] <= pj_ylo[j];
    for (int j = 0; j < Projs; j++) pj_xlo_q[j] <= pj_xlo[j];
    for (int j = 0; j < Projs; j++) pj_nx_q[j] <= pj_nx[j];
    for (int j = 0; j < Projs; j++) pj_start_q[j] <= pj_start[j];
    for (int j = 0; j < Projs; j++) pj_cnt_q[j] <= pj_cnt[j];
`else
    pj_ylo_q <= pj_ylo;
    pj_xlo_q <= pj_xlo;
    pj_nx_q <= pj_nx;
    pj_start_q <= pj_start;
    pj_cnt_q <= pj_cnt;
`endif
    sops_walk_q <= sops;
  end

  // the output queue's entries: written in place (a register file)
  always_ff @(posedge clk_i) begin
    for (int i = 0; i <= NU; i++) begin
      if (q_we[i]) begin
        q_kind_q[q_widx[i]] <= q_wkind[i];
        q_rd_q[q_widx[i]] <= fr;
        q_off_q[q_widx[i]] <= q_woff[i];
        q_val_q[q_widx[i]] <= q_wval[i];
        q_tag_q[q_widx[i]] <= pc_step_q[fp][0];
      end
    end
  end

  // ---- outputs -------------------------------------------------------------------------------
  assign sops_o = sops_q;
  assign graded_adds_o = gadds_q;
  assign neuron_updates_o = nupd_q;
  assign packets_out_o = packets_out;
  assign packets_in_o = pin_q;
  assign spikes_in_o = spin_q;
  assign graded_in_o = gin_q;
  assign tokens_in_o = tin_q;
  assign releases_in_o = rin_q;
  assign receive_busy_o = rbusy_q;
  assign fires_o = fires_q;
  assign fire_cycles_o = fcyc_q;
  assign fire_stalls_o = fstall_q;
  assign spikes_out_o = sout_q;
  assign send_refused_o = send_refused;
  assign graded_clamped_o = clamp_q;
  assign fifo_peak_o = fifo_peak;
  assign queue_peak_o = qpeak_q;
  assign quiet_o = !head_valid && q_len_q == '0 && !rel_due && !fire_q;
  assign busy_o = !quiet_o || pick_ok || busy_q != '0 || walk_q;

  // tags are the C model's asserts (a broken chip image), not behaviour
  logic unused_tag;
  assign unused_tag = head_tag ^ f_done;

`ifndef SYNTHESIS
  // Invariants of the C model's asserts: the fire engine never overfills the output queue; a
  // release is for the route's next step; a graded event lands in some piece.
  assert property (@(posedge clk_i) disable iff (!rst_ni) q_len_q <= QBitsP1'(QE))
    else $error("core: output queue overflow");
  logic rel_parity;  // parity of the releases the route of a taken release had before it
  assign rel_parity = rt_rel_q[head_axon[RouteBits-1:0]][0];
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   !(take && head_kind == spk_noc_pkg::KindRelease) || head_tag == rel_parity)
    else $error("core: release with the wrong step tag");
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   !(take && head_kind == spk_noc_pkg::KindGraded) || gr_hit)
    else $error("core: graded event outside every piece");
  // The membrane prefetch read the word of the group that updates (a first step reads none),
  // once the tables hold still (while they load, the engines run on half-written tables).
  logic m_used, ld_last_q;
  assign m_used = fire_act && !f_first && !rd_mean_q[fr];
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ld_last_q <= 1'b0;
    end else begin
      ld_last_q <= load_we_i;
    end
  end
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   !m_used || ld_last_q || (m_rvalid_q && m_raddr_q == f_grp))
    else $error("core: membrane prefetch missed the group that fires");
`endif

endmodule
