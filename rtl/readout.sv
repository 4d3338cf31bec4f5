// readout — the tile that hosts the spatial-mean populations and the classifier head: the RTL
// of sim/readout.c, cycle for cycle (doc/architecture.md §8 "Readout" and §9 are the contract,
// doc/semantics.md §3 and §6 the arithmetic; doc/rtl.md "readout" the port contract).
//
// Around it, the shared shell (rtl/unit_shell.sv): the input FIFO, the release sets and the
// send path to the NI. The readout sends nothing but releases.
//
// Receive side: one packet per cycle from the FIFO head. A graded packet (a partial sum) adds
// its value into X[m][c] of the mean population m whose axon range holds it (a graded add);
// a token (payload: an incoming route) counts for that route's population, from the next cycle.
//
// Engine, one population at a time; in the first cycle in which it is free and some population
// has all its tokens (registered state), it picks the lowest phase, then the lowest step, and
// updates that population's first group of NeuronUpdates channels in the same cycle:
// A = V + X[c], S = A >= 2θ[c], V = S ? 0 : sat(A >>> 1) at MembraneBits (V counts as 0 at the
// first step of an image), X[c] cleared. In the last group's cycle the population's routes
// become due for release (one set, pushed into the shell) and, if the head reads it, the head
// biases are added into the scores; then one head row per spike, in channel order, Adders
// classes per cycle (RowCycles = ceil(classes / Adders) cycles a row). After the last step of
// an image the class (the largest score, lowest index on ties) is out in the cycle after the
// last head cycle (after the last fire cycle if nothing spiked): class_valid_o, with the scores
// readable on score_o in that cycle; the scores are cleared then.
//
// Widths: X, θ and the scores are 64-bit two's complement and V is MembraneBits wide, so every
// value the C model (int64 arithmetic) holds is held exactly; steps and images count to 2^32.
// The state lives in flops (register files written in place): a readout holds a few hundred
// channels and one head, far below what an SRAM macro is worth.
//
// Load port (load_we_i, load_addr_i, load_data_i; rtl/readout_load.cpp writes it from a
// struct spk_readout_config): region load_addr_i[19:16], index i = load_addr_i[15:0]
//   0  i = 0: T (time steps); i = 1: number of mean populations;
//      i = 2: the head: [0] present, [15:8] its population, [31:16] classes, [47:32] RowCycles;
//      i = 3: number of incoming routes
//   1  mean m = i / 4: word 0 [31:0] phase, [63:32] channels; word 1 axon base of channel 0's
//      partial sums; word 2 number of incoming routes (tokens per step)
//   2  incoming route i: [15:0] its population, [31:16] its source tile's NoC address,
//      [63:32] its index at the source (where its releases go)
//   3  θ of mean i / MaxChannels, channel i % MaxChannels (64-bit)
//   4  head weight of channel i / MaxClasses, class i % MaxClasses (16-bit, sign-extended)
//   5  head bias of class i (64-bit)
// Loading happens while rst_ni is low (the configuration registers have no reset; everything
// else is held in its reset state), before the first packet.
//
// A compile-time mutation for tests/rtl/readout_lockstep's self-check (SPK_MUTANT_READOUT_TIE):
// the argmax takes the highest index on ties.
module readout #(
  parameter int unsigned FifoFlits     = 64,   // [core] input_fifo
  parameter int unsigned InRoutes      = 64,   // incoming (MEAN) routes it can hold
  parameter int unsigned MaxMeans      = 2,    // mean populations it can hold
  parameter int unsigned MaxChannels   = 512,  // channels of a mean population
  parameter int unsigned MaxClasses    = 16,   // classes of the head
  parameter int unsigned NeuronUpdates = 4,    // [core] neuron_updates
  parameter int unsigned Adders        = 16,   // [core] adders
  parameter int unsigned MembraneBits  = 16    // [core] membrane_bits
) (
  input  logic                                clk_i,           // the chip clock
  input  logic                                rst_ni,          // asynchronous reset, active low
  // NI -> readout: ejection
  input  logic                                rx_valid_i,      // a packet arrives in this cycle
  input  logic [1:0]                          rx_kind_i,       // its kind
  input  logic                                rx_tag_i,        // its step tag
  input  logic [spk_noc_pkg::PayloadBits-1:0] rx_axon_i,       // its payload
  input  logic [31:0]                         rx_value_i,      // its graded value
  output logic [spk_noc_pkg::CreditBits-1:0]  rx_credit_o,     // input flits freed in this cycle
  // readout -> NI: injection (releases)
  output logic                                tx_valid_o,      // a packet is offered in this cycle
  output logic [1:0]                          tx_kind_o,       // its kind
  output logic                                tx_mc_o,         // multicast (never)
  output logic [spk_noc_pkg::AddrBits-1:0]    tx_addr_o,       // its destination
  output logic                                tx_tag_o,        // its step tag
  output logic [spk_noc_pkg::PayloadBits-1:0] tx_payload_o,    // its payload
  output logic [31:0]                         tx_value_o,      // its value (0)
  input  logic                                tx_ready_i,      // the NI takes it in this cycle
  // load port
  input  logic                                load_we_i,       // write a configuration word
  input  logic [31:0]                         load_addr_i,     // its address (see above)
  input  logic [63:0]                         load_data_i,     // its value
  // observation: the spikes of the group updated in this cycle
  output logic                                spike_valid_o,   // a group was updated
  output logic [$clog2(MaxMeans > 1 ? MaxMeans : 2)-1:0] spike_mean_o,  // of this population
  output logic [31:0]                         spike_step_o,    // for this step
  output logic [31:0]                         spike_c0_o,      // its first channel
  output logic [NeuronUpdates-1:0]            spike_mask_o,    // channel c0 + l spiked
  // the class of an image
  output logic                                class_valid_o,   // a class is out in this cycle
  output logic [31:0]                         class_image_o,   // the image
  output logic [31:0]                         class_o,         // its class
  input  logic [$clog2(MaxClasses > 1 ? MaxClasses : 2)-1:0] score_sel_i,  // a class
  output logic [63:0]                         score_o,         // its score (the image's, when class_valid_o)
  // counters (struct spk_readout_stats)
  output logic [63:0]                         packets_in_o,    // packets taken
  output logic [63:0]                         graded_in_o,     // partial sums taken (= graded adds)
  output logic [63:0]                         tokens_in_o,     // tokens taken
  output logic [63:0]                         fires_o,         // (population, step) fires
  output logic [63:0]                         fire_cycles_o,   // cycles the engine updated a group
  output logic [63:0]                         head_cycles_o,   // head row cycles
  output logic [63:0]                         images_o,        // classes out
  output logic [63:0]                         sops_o,          // head weights added
  output logic [63:0]                         neuron_updates_o,// channels updated
  output logic [63:0]                         packets_out_o,   // packets sent (releases)
  output logic [63:0]                         send_refused_o,  // offers the NI refused
  output logic [31:0]                         fifo_peak_o,     // most flits in the input FIFO
  output logic                                busy_o           // work in this cycle (with rx_valid_i low:
                                                               // cycles with busy_o low change nothing)
);

  localparam int unsigned PB = spk_noc_pkg::PayloadBits;

  localparam int unsigned PBP1 = PB + 1;
  localparam int unsigned MB = $clog2(MaxMeans > 1 ? MaxMeans : 2);
  localparam int unsigned MBP1 = MB + 1;
  localparam int unsigned RB = $clog2(InRoutes > 1 ? InRoutes : 2);
  localparam int unsigned RBP1 = RB + 1;
  localparam int unsigned CB = $clog2(MaxChannels + 1);
  localparam int unsigned CBP1 = CB + 1;
  localparam int unsigned KB = $clog2(MaxClasses > 1 ? MaxClasses : 2);
  localparam int unsigned KBP1 = KB + 1;
  localparam int unsigned SB = $clog2(MaxChannels > 1 ? MaxChannels : 2);
  localparam int unsigned Neurons = MaxMeans * MaxChannels;
  localparam int unsigned NB = $clog2(Neurons > 1 ? Neurons : 2);
  localparam int unsigned Weights = MaxChannels * MaxClasses;
  localparam int unsigned WB = $clog2(Weights > 1 ? Weights : 2);
  localparam logic signed [63:0] VMax = (64'sd1 <<< (MembraneBits - 1)) - 64'sd1;
  localparam logic signed [63:0] VMin = -VMax - 64'sd1;

  // ---- configuration (load port) ------------------------------------------------------------
  logic [31:0]        t_q;                 // T
  logic [MB:0]        n_means_q;
  logic [RB:0]        n_in_q;
  logic               head_en_q;
  logic [MB-1:0]      head_mean_q;
  logic [KB:0]        classes_q;
  logic [15:0]        row_cycles_q;
  logic [31:0]        phase_q [MaxMeans];
  logic [CB-1:0]      chans_q [MaxMeans];
  logic [PB-1:0]      base_q [MaxMeans];
  logic [RB:0]        n_ins_q [MaxMeans];
  logic [MB-1:0]      in_mean_q [InRoutes];
  logic signed [63:0] theta_q [Neurons];
  logic signed [15:0] hw_q [Weights];
  logic signed [63:0] hb_q [MaxClasses];

  logic [3:0]  ld_region;
  logic [15:0] ld_idx;
  assign ld_region = load_addr_i[19:16];
  assign ld_idx = load_addr_i[15:0];
  logic [11:0] unused_ld_addr;
  assign unused_ld_addr = load_addr_i[31:20];

  always_ff @(posedge clk_i) begin
    if (load_we_i) begin
      unique case (ld_region)
        4'd0: begin
          if (ld_idx == 16'd0) t_q <= load_data_i[31:0];
          if (ld_idx == 16'd1) n_means_q <= MBP1'(load_data_i);
          if (ld_idx == 16'd3) n_in_q <= RBP1'(load_data_i);
          if (ld_idx == 16'd2) begin
            head_en_q <= load_data_i[0];
            head_mean_q <= MB'(load_data_i[15:8]);
            classes_q <= KBP1'(load_data_i[31:16]);
            row_cycles_q <= load_data_i[47:32];
          end
        end
        4'd1: begin
          if (ld_idx[1:0] == 2'd0) begin
            phase_q[MB'(ld_idx[15:2])] <= load_data_i[31:0];
            chans_q[MB'(ld_idx[15:2])] <= CB'(load_data_i[63:32]);
          end
          if (ld_idx[1:0] == 2'd1) base_q[MB'(ld_idx[15:2])] <= PB'(load_data_i);
          if (ld_idx[1:0] == 2'd2) n_ins_q[MB'(ld_idx[15:2])] <= RBP1'(load_data_i);
        end
        4'd2: in_mean_q[RB'(ld_idx)] <= MB'(load_data_i[15:0]);
        4'd3: theta_q[NB'(ld_idx)] <= load_data_i;
        4'd4: hw_q[WB'(ld_idx)] <= load_data_i[15:0];
        4'd5: hb_q[KB'(ld_idx)] <= load_data_i;
        default: ;
      endcase
    end
  end

  // ---- the shell ----------------------------------------------------------------------------
  logic                 head_valid, head_tag;
  logic [1:0]           head_kind;
  logic [PB-1:0]        head_axon;
  logic [31:0]          head_value;
  logic                 rel_push;
  logic [InRoutes-1:0]  rel_mask;
  logic                 rel_tag;
  logic                 unused_pkt_taken, rel_due, unused_head_tag;

  unit_shell #(
    .FifoFlits (FifoFlits),
    .InRoutes  (InRoutes)
  ) u_shell (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .rx_valid_i       (rx_valid_i),
    .rx_kind_i        (rx_kind_i),
    .rx_tag_i         (rx_tag_i),
    .rx_axon_i        (rx_axon_i),
    .rx_value_i       (rx_value_i),
    .rx_credit_o      (rx_credit_o),
    .head_valid_o     (head_valid),
    .head_kind_o      (head_kind),
    .head_tag_o       (head_tag),
    .head_axon_o      (head_axon),
    .head_value_o     (head_value),
    .head_pop_i       (head_valid),
    .rel_push_i       (rel_push),
    .rel_mask_i       (rel_mask),
    .rel_tag_i        (rel_tag),
    .rel2_push_i      (1'b0),
    .rel2_mask_i      ('0),
    .rel2_tag_i       (1'b0),
    .pkt_valid_i      (1'b0),
    .pkt_kind_i       (2'd0),
    .pkt_mc_i         (1'b0),
    .pkt_addr_i       ('0),
    .pkt_tag_i        (1'b0),
    .pkt_payload_i    ('0),
    .pkt_value_i      (32'd0),
    .pkt_taken_o      (unused_pkt_taken),
    .rel_due_o        (rel_due),
    .tx_valid_o       (tx_valid_o),
    .tx_kind_o        (tx_kind_o),
    .tx_mc_o          (tx_mc_o),
    .tx_addr_o        (tx_addr_o),
    .tx_tag_o         (tx_tag_o),
    .tx_payload_o     (tx_payload_o),
    .tx_value_o       (tx_value_o),
    .tx_ready_i       (tx_ready_i),
    .load_we_i        (load_we_i && ld_region == 4'd2),
    .load_idx_i       (RB'(ld_idx)),
    .load_src_addr_i  (spk_noc_pkg::AddrBits'(load_data_i[31:16])),
    .load_src_route_i (PB'(load_data_i[63:32])),
    .packets_out_o    (packets_out_o),
    .send_refused_o   (send_refused_o),
    .fifo_peak_o      (fifo_peak_o)
  );
  assign unused_head_tag = head_tag;  // the sources' tags are checked by the C model only

  // ---- state ----------------------------------------------------------------------------------
  logic signed [MembraneBits-1:0] v_q [Neurons];       // membranes
  logic signed [63:0]             x_q [Neurons];       // sums of the partial sums of the step
  logic [RB:0]                    tokens_q [MaxMeans]; // tokens of the current step
  logic [31:0]                    step_q [MaxMeans];   // steps fired
  logic [31:0]                    tstep_q [MaxMeans];  // step within the image
  logic [31:0]                    image_q [MaxMeans];  // images fired
  logic                           firing_q;            // a population fires
  logic [MB-1:0]                  mean_q;              // which
  logic [CB-1:0]                  chan_q;              // its next channel
  logic [CB-1:0]                  spk_q [MaxChannels]; // spiking channels of the fire, in order
  logic [CB-1:0]                  nspk_q;
  logic                           head_q;              // the head adds rows
  logic [CB-1:0]                  row_q;               // the row (index into spk_q)
  logic [KB:0]                    k0_q;                // its first class in this cycle
  logic signed [63:0]             score_q [MaxClasses];
  logic                           class_due_q;
  logic [31:0]                    class_image_q;
  logic [Neurons-1:0]             xv_q, xv_d;          // x_q[n] holds the sum (else it is 0)

  function automatic logic signed [63:0] x_of(logic [NB-1:0] n);
    x_of = xv_q[n] ? x_q[n] : 64'sd0;
  endfunction

  // ---- receive: one packet per cycle ----------------------------------------------------------
  logic          rcv_graded, rcv_token;
  logic [MB-1:0] rcv_mean;       // the population a partial sum adds into
  logic [CB-1:0] rcv_chan;       // its channel
  logic [MB-1:0] tok_mean;       // the population a token counts for
  logic [NB-1:0] rcv_n;          // the neuron a partial sum adds into

  always_comb begin
    rcv_graded = head_valid && head_kind == spk_noc_pkg::KindGraded;
    rcv_token = head_valid && head_kind == spk_noc_pkg::KindToken;
    rcv_mean = '0;
    rcv_chan = '0;
    for (int m = MaxMeans - 1; m >= 0; m--) begin
      if (MBP1'(m) < n_means_q && head_axon >= base_q[m] &&
          {1'b0, head_axon} < {1'b0, base_q[m]} + PBP1'(chans_q[m])) begin
        rcv_mean = MB'(m);
        rcv_chan = CB'(head_axon - base_q[m]);
      end
    end
    tok_mean = in_mean_q[RB'(head_axon)];
    rcv_n = NB'(rcv_mean) * NB'(MaxChannels) + NB'(rcv_chan);
  end

  // ---- engine ---------------------------------------------------------------------------------
  logic          pick_valid;
  logic [MB-1:0] pick;

  // the ready population with the lowest phase, then the lowest step
  always_comb begin
    pick_valid = 1'b0;
    pick = '0;
    for (int m = 0; m < MaxMeans; m++) begin
      if (MBP1'(m) < n_means_q && tokens_q[m] >= n_ins_q[m]) begin
        if (!pick_valid || phase_q[m] < phase_q[pick] ||
            (phase_q[m] == phase_q[pick] && step_q[m] < step_q[pick])) begin
          pick_valid = 1'b1;
          pick = MB'(m);
        end
      end
    end
  end

  logic                     engine_free, class_out, start, group;
  logic [MB-1:0]            cur;            // the population updated in this cycle
  logic [CB-1:0]            c0;             // its first channel in this cycle
  logic [CB:0]              c1;             // one past its last
  logic                     first_t;        // first step of an image: V counts as 0
  logic                     done;           // the fire's last group
  logic [NeuronUpdates-1:0] lane_on, lane_spike;
  logic signed [MembraneBits-1:0] lane_v [NeuronUpdates];
  logic [CB-1:0]            nspk_d;
  logic [CB-1:0]            lane_rank [NeuronUpdates];

  always_comb begin
    engine_free = !head_q;
    class_out = engine_free && class_due_q;
    start = engine_free && !firing_q && pick_valid;
    group = engine_free && (firing_q || pick_valid);
    cur = firing_q ? mean_q : pick;
    c0 = firing_q ? chan_q : '0;
    c1 = CBP1'(c0) + CBP1'(NeuronUpdates);
    if (c1 > CBP1'(chans_q[cur])) begin
      c1 = CBP1'(chans_q[cur]);
    end
    first_t = (tstep_q[cur] == 32'd0);
    done = group && c1 == CBP1'(chans_q[cur]);
    nspk_d = start ? '0 : nspk_q;
    for (int l = 0; l < NeuronUpdates; l++) begin
      logic [CB:0] c;
      logic [NB-1:0] n;
      logic signed [63:0] a, h;

      c = CBP1'(c0) + CBP1'(l);
      n = NB'(cur) * NB'(MaxChannels) + NB'(c);
      lane_on[l] = group && c < c1;
      a = (first_t ? 64'sd0 : 64'(v_q[n])) + x_of(n);
      h = a >>> 1;
      lane_spike[l] = lane_on[l] && a >= (theta_q[n] <<< 1);
      lane_v[l] = (a >= (theta_q[n] <<< 1)) ? '0 :
                  (h < VMin) ? MembraneBits'(VMin) :
                  (h > VMax) ? MembraneBits'(VMax) : MembraneBits'(h);
      lane_rank[l] = nspk_d;
      if (lane_spike[l]) begin
        nspk_d = nspk_d + 1'b1;
      end
    end
  end

  assign spike_valid_o = group;
  assign spike_mean_o = cur;
  assign spike_step_o = step_q[cur];
  assign spike_c0_o = 32'(c0);
  assign spike_mask_o = lane_spike;

  // releases: the routes of the population, in one set, in its last group's cycle
  always_comb begin
    rel_push = done;
    rel_tag = step_q[cur][0];
    for (int r = 0; r < InRoutes; r++) begin
      rel_mask[r] = done && RBP1'(r) < n_in_q && in_mean_q[r] == cur;
    end
  end

  // the head: biases in the last group's cycle, then a row per spike, Adders classes a cycle
  logic head_fire;                 // the fire that ends now is the head's population's
  logic last_row_cycle;
  logic [63:0] rows_cycles;        // head cycles of the fire ending now
  logic [63:0] rows_sops;          // weights its rows add

  always_comb begin
    head_fire = done && head_en_q && cur == head_mean_q;
    last_row_cycle = k0_q + KBP1'(Adders) >= classes_q;
    rows_cycles = 64'(nspk_d) * 64'(row_cycles_q);
    rows_sops = 64'(nspk_d) * 64'(classes_q);
  end

  // the class: the largest score, lowest index on ties
  logic [KB-1:0] best;

  always_comb begin
    best = '0;
    for (int k = 1; k < MaxClasses; k++) begin
`ifdef SPK_MUTANT_READOUT_TIE
      if (KBP1'(k) < classes_q && score_q[k] >= score_q[best]) begin
`else
      if (KBP1'(k) < classes_q && score_q[k] > score_q[best]) begin
`endif
        best = KB'(k);
      end
    end
  end
  assign class_o = 32'(best);
  assign class_valid_o = class_out;
  assign busy_o = head_valid || rel_due || firing_q || head_q || class_due_q || pick_valid;
  assign class_image_o = class_image_q;
  assign score_o = score_q[score_sel_i];

  // ---- registers --------------------------------------------------------------------------------
  logic [63:0] cnt_q [11];   // the counters, in the order of the ports
  logic [63:0] cnt_d [11];

  always_comb begin
    for (int i = 0; i < 11; i++) cnt_d[i] = cnt_q[i];
    cnt_d[0] = cnt_q[0] + 64'(head_valid);
    cnt_d[1] = cnt_q[1] + 64'(rcv_graded);
    cnt_d[2] = cnt_q[2] + 64'(rcv_token);
    cnt_d[3] = cnt_q[3] + 64'(done);
    cnt_d[4] = cnt_q[4] + 64'(group);
    cnt_d[5] = cnt_q[5] + (head_fire ? rows_cycles : 64'd0);
    cnt_d[6] = cnt_q[6] + 64'(class_out);
    cnt_d[7] = cnt_q[7] + (head_fire ? rows_sops : 64'd0);
    cnt_d[8] = cnt_q[8] + (group ? 64'(c1) - 64'(c0) : 64'd0);
  end
  assign packets_in_o = cnt_q[0];
  assign graded_in_o = cnt_q[1];
  assign tokens_in_o = cnt_q[2];
  assign fires_o = cnt_q[3];
  assign fire_cycles_o = cnt_q[4];
  assign head_cycles_o = cnt_q[5];
  assign images_o = cnt_q[6];
  assign sops_o = cnt_q[7];
  assign neuron_updates_o = cnt_q[8];

  // control registers
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      firing_q <= 1'b0;
      mean_q <= '0;
      chan_q <= '0;
      nspk_q <= '0;
      head_q <= 1'b0;
      row_q <= '0;
      k0_q <= '0;
      class_due_q <= 1'b0;
      class_image_q <= '0;
      for (int i = 0; i < 11; i++) cnt_q[i] <= '0;
      for (int m = 0; m < MaxMeans; m++) begin
        tokens_q[m] <= '0;
        step_q[m] <= '0;
        tstep_q[m] <= '0;
        image_q[m] <= '0;
      end
    end else begin
      for (int i = 0; i < 11; i++) cnt_q[i] <= cnt_d[i];
      nspk_q <= nspk_d;
      if (group) begin
        firing_q <= !done;
        mean_q <= cur;
        chan_q <= CB'(c1);
      end
      for (int m = 0; m < MaxMeans; m++) begin
        if (done && cur == MB'(m)) begin
          // the population moves to the next step
          tokens_q[m] <= (rcv_token && tok_mean == MB'(m)) ? RBP1'(1) : '0;
          step_q[m] <= step_q[m] + 32'd1;
          if (tstep_q[m] + 32'd1 == t_q) begin
            tstep_q[m] <= '0;
            image_q[m] <= image_q[m] + 32'd1;
          end else begin
            tstep_q[m] <= tstep_q[m] + 32'd1;
          end
        end else if (rcv_token && tok_mean == MB'(m)) begin
          tokens_q[m] <= tokens_q[m] + 1'b1;
        end
      end
      // the head walk
      if (head_fire && nspk_d != '0) begin
        head_q <= 1'b1;
        row_q <= '0;
        k0_q <= '0;
      end else if (head_q) begin
        if (last_row_cycle) begin
          k0_q <= '0;
          row_q <= row_q + 1'b1;
          head_q <= (row_q + 1'b1) != nspk_q;
        end else begin
          k0_q <= k0_q + KBP1'(Adders);
        end
      end
      // the class of an image is due after its last step's head rows
      if (class_out) begin
        class_due_q <= 1'b0;
      end
      if (head_fire && tstep_q[cur] + 32'd1 == t_q) begin
        class_due_q <= 1'b1;
        class_image_q <= image_q[cur];
      end
    end
  end

  // the scores
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int k = 0; k < MaxClasses; k++) score_q[k] <= '0;
    end else begin
      for (int k = 0; k < MaxClasses; k++) begin
        logic signed [63:0] s;

        s = class_out ? 64'sd0 : score_q[k];
        if (head_fire && KBP1'(k) < classes_q) begin
          s = s + hb_q[k];
        end
        if (head_q && KBP1'(k) >= k0_q && KBP1'(k) < k0_q + KBP1'(Adders) &&
            KBP1'(k) < classes_q) begin
          s = s + 64'(hw_q[WB'(spk_q[SB'(row_q)]) * WB'(MaxClasses) + WB'(k)]);
        end
        score_q[k] <= s;
      end
    end
  end

  // the membranes and the spike list: register files written in place (a membrane is read only
  // after the first step of an image has written it)
  always_ff @(posedge clk_i) begin
    for (int l = 0; l < NeuronUpdates; l++) begin
      if (lane_on[l]) begin
        v_q[NB'(cur) * NB'(MaxChannels) + NB'(c0) + NB'(l)] <= lane_v[l];
      end
      if (lane_spike[l]) begin
        spk_q[SB'(lane_rank[l])] <= CB'(CBP1'(c0) + CBP1'(l));
      end
    end
  end

  // the sums, added into by partial sums and cleared by the fire that reads them: a register
  // file written in place, with a valid bit per neuron (reset to 0: a sum not written since is 0)
  always_comb begin
    xv_d = xv_q;
    for (int l = 0; l < NeuronUpdates; l++) begin
      if (lane_on[l]) begin
        xv_d[NB'(cur) * NB'(MaxChannels) + NB'(c0) + NB'(l)] = 1'b0;
      end
    end
    if (rcv_graded) begin
      xv_d[rcv_n] = 1'b1;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      xv_q <= '0;
    end else begin
      xv_q <= xv_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (rcv_graded) begin
      x_q[rcv_n] <= x_of(rcv_n) + 64'(signed'(head_value));
    end
  end

endmodule
