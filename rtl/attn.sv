// attn — the attention unit: spike-driven attention O = Q·(KᵀV) per head for the ATTN steps
// (ops) mapped onto one tile. The C model sim/attn.c is the golden model, cycle for cycle;
// doc/architecture.md §7 and §9 are the contract, doc/semantics.md §5 and §8 the arithmetic,
// doc/rtl.md "attn" the port contract and the load-port map.
//
// Engines (each does in cycle x what attn.c's eval(x) does: send, compute, receive, all from
// the state registered at the start of x; what they write counts from x + 1):
//   - receive: takes the input FIFO's head (unit_shell) when it is not busy. A spike (token n,
//     channel c of an op's K population) adds 1 to KV[c][j] for every V[n][h0 + j] already
//     seen, a V spike symmetrically over K[n][h0 + ·] (h0 = the head's first channel), a Q
//     spike sets its bit; max(1, ceil(a / Lanes)) cycles for a additions. A token counts for
//     every op reading its route; a release marks an ATTN route released for its op's step.
//   - compute: the first cycle an op has all its tokens and all its ATTN routes released it
//     starts (lowest phase, then lowest step, then lowest index). Token by token (tokens without
//     a Q spike skipped) the row O[n][·] is formed, waits ceil(q·d / Lanes) cycles, then its
//     non-zero outputs go into the output queue in channel order, at most min(Lanes, free queue
//     entries at the start of the cycle) per cycle; then the end-of-step marker; in its cycle
//     the op's bitmaps and counters clear and its Q, K, V routes become due for release (as a
//     set to unit_shell, ascending route order, once every op reading a route is done).
//   - send: unit_shell offers due releases first; else the output queue's head: a graded event
//     (axon = the destination piece's element) or a marker's tokens, one per ATTN route of its
//     op in table order.
//
// Widths (exact for everything the C model computes when every neuron spikes at most once per
// step, the sources' contract): a KV count is at most N (one pair per token), KvBits =
// clog2(MaxTokens + 1); an output O[n][j] is at most d·N, RowBits = clog2(MaxChannels·MaxTokens
// + 1); counts beyond [attention] counter_bits (the loaded limit cmax = 2^counter_bits − 1) are
// counted in counter_overflows_o exactly as the C model counts them (one per increment beyond,
// one per output beyond), the values themselves kept exact. Statistics are 64-bit.
//
// Implementation choices (limits, doc/rtl.md): K, V, Q bitmaps and the KV counters are flip-flop
// arrays (a K spike updates a row, a V spike a column in one cycle, and the row of a token is
// formed by a combinational adder tree in its first cycle; the unit then waits the C model's
// ceil(q·d / Lanes) cycles). Element and token indices are split by small dividers (e / plane,
// n / width, c / d).
//
// Load port (before traffic; load_addr_i = {region[31:24], index[23:8], word[7:0]}):
//   region 0 unit        word 0: cmax (2^counter_bits − 1), 64 bits
//   region 1 op j        word 0: [31:0] phase, [32] valid
//                        word 1: [15:0] C, [31:16] d = C / heads, [47:32] width, [63:48] N
//                        word 2: [15:0] incoming routes feeding the op (the barrier's tokens)
//   region 2 in-route i  word 0: [31:0] axon base, [63:32] elements (channels·rows·width)
//                        word 1: [15:0] c0, [31:16] y0·width, [63:32] rows·width
//                        word 2: bit 3j: Q of op j, 3j + 1: K of op j, 3j + 2: V of op j
//                        word 3: [31:0] source tile's NoC address, [63:32] route index there
//   region 3 route r     word 0: [15:0] source op, [16] valid, [63:32] destination address
//                        word 1: [31:0] destination route index, [63:32] axon base
//                        word 2: [15:0] c0, [31:16] c1, [47:32] y0, [63:48] y1
//                        word 3: [15:0] pc0, [31:16] py0, [47:32] prows
// rtl/attn_load.cpp writes it from struct spk_attn_config.
//
// Mutant for tests/rtl/attn_lockstep's self-check (SPK_MUTANT_ATTN_KWALK): a K spike's walk
// over V[n][h0 + ·] stops one channel short of the head.
module attn #(
  parameter int unsigned MaxOps      = 2,   // ATTN ops (steps) the unit holds
  parameter int unsigned MaxTokens   = 64,  // N = height·width of an op, at most
  parameter int unsigned MaxChannels = 64,  // C of an op, at most
  parameter int unsigned Lanes       = 16,  // [attention] lanes: additions (outputs) per cycle
  parameter int unsigned OutputQueue = 64,  // [core] output_queue: entries
  parameter int unsigned FifoFlits   = 64,  // [core] input_fifo: flits
  parameter int unsigned InRoutes    = 16,  // incoming (SPIKE) routes, >= 1
  parameter int unsigned MaxRoutes   = 16   // outgoing (ATTN) routes, >= 1
) (
  input  logic                                clk_i,               // the chip clock
  input  logic                                rst_ni,              // asynchronous reset, active low
  // NI -> unit (ni.sv rx_*): the packet arriving in this cycle
  input  logic                                rx_valid_i,          // a packet arrives in this cycle
  input  logic [1:0]                          rx_kind_i,           // its kind (spk_noc_pkg::Kind*)
  input  logic                                rx_tag_i,            // its step tag
  input  logic [spk_noc_pkg::PayloadBits-1:0] rx_axon_i,           // its payload (axon or route)
  input  logic [31:0]                         rx_value_i,          // its graded value (never used here)
  output logic [spk_noc_pkg::CreditBits-1:0]  rx_credit_o,         // input flits freed in this cycle
  // unit -> NI (ni.sv tx_*)
  output logic                                tx_valid_o,          // a packet is offered in this cycle
  output logic [1:0]                          tx_kind_o,           // its kind
  output logic                                tx_mc_o,             // multicast (never: 0)
  output logic [spk_noc_pkg::AddrBits-1:0]    tx_addr_o,           // destination tile's address
  output logic                                tx_tag_o,            // step tag
  output logic [spk_noc_pkg::PayloadBits-1:0] tx_payload_o,        // axon, route index
  output logic [31:0]                         tx_value_o,          // graded value (0 otherwise)
  input  logic                                tx_ready_i,          // the NI takes it in this cycle
  // load port (configuration, before traffic; map above)
  input  logic                                load_we_i,           // write in this cycle
  input  logic [31:0]                         load_addr_i,         // {region, index, word}
  input  logic [63:0]                         load_data_i,         // the word
  // counters (struct spk_attn_stats), registered: through the previous cycle
  output logic [63:0]                         packets_in_o,        // packets taken from the FIFO
  output logic [63:0]                         spikes_in_o,         // of them spikes
  output logic [63:0]                         tokens_in_o,         // tokens
  output logic [63:0]                         releases_in_o,       // releases
  output logic [63:0]                         receive_busy_o,      // cycles the receive engine worked
  output logic [63:0]                         attention_ops_o,     // KV and Q·KV additions (ev.attention_ops)
  output logic [63:0]                         packets_out_o,       // packets the NI took (ev.packets_out)
  output logic [63:0]                         steps_o,             // (op, step) computations completed
  output logic [63:0]                         compute_cycles_o,    // cycles of Q·KV additions
  output logic [63:0]                         emit_cycles_o,       // cycles pushing outputs
  output logic [63:0]                         emit_stalls_o,       // cycles outputs waited for room
  output logic [63:0]                         outputs_o,           // graded events queued
  output logic [63:0]                         send_refused_o,      // offers the NI refused
  output logic [63:0]                         counter_overflows_o, // counts beyond counter_bits
  output logic [31:0]                         fifo_peak_o,         // most flits in the input FIFO
  output logic [31:0]                         queue_peak_o,        // most entries in the output queue
  output logic                                busy_o               // work in this cycle (with rx_valid_i low:
                                                                   // cycles with busy_o low change nothing)
);

  localparam int unsigned PB = spk_noc_pkg::PayloadBits;
  localparam int unsigned AB = spk_noc_pkg::AddrBits;
  localparam int unsigned OpBits = $clog2(MaxOps > 1 ? MaxOps : 2);
  localparam int unsigned OpCnt = $clog2(MaxOps + 1);
  localparam int unsigned CIdx = $clog2(MaxChannels > 1 ? MaxChannels : 2);
  localparam int unsigned CBits = $clog2(MaxChannels + 1);
  localparam int unsigned NIdx = $clog2(MaxTokens > 1 ? MaxTokens : 2);
  localparam int unsigned NBits = $clog2(MaxTokens + 1);
  localparam int unsigned KvBits = $clog2(MaxTokens + 1);
  localparam int unsigned RowBits = $clog2(MaxChannels * MaxTokens + 1);
  localparam int unsigned ElemBits = $clog2(MaxChannels * MaxTokens + 1);
  localparam int unsigned InBits = $clog2(InRoutes > 1 ? InRoutes : 2);
  localparam int unsigned InCnt = $clog2(InRoutes + 1);
  localparam int unsigned RtBits = $clog2(MaxRoutes > 1 ? MaxRoutes : 2);
  localparam int unsigned RtCnt = $clog2(MaxRoutes + 1);
  localparam int unsigned QIdx = $clog2(OutputQueue > 1 ? OutputQueue : 2);
  localparam int unsigned QCnt = $clog2(OutputQueue + 1);
  localparam int unsigned WaitBits = $clog2(MaxChannels * MaxChannels + 1);
  localparam int unsigned AddBits = $clog2(2 * MaxOps * MaxChannels + 1);
  localparam int unsigned LaneBits = $clog2(Lanes + 1);

  // ---- configuration (load port) ------------------------------------------------------------
  // an op (region 1), an incoming route (region 2), an ATTN route (region 3); one array per
  // field, since yosys 0.23 cannot select a member of an indexed struct element
  logic [63:0]           cmax_q, cmax_d;
  logic                  op_cfg_valid_q [MaxOps], op_cfg_valid_d [MaxOps];
  logic [31:0]           op_cfg_phase_q [MaxOps], op_cfg_phase_d [MaxOps];
  logic [CBits-1:0]      op_cfg_c_q [MaxOps], op_cfg_c_d [MaxOps];  // channels
  logic [CBits-1:0]      op_cfg_d_q [MaxOps], op_cfg_d_d [MaxOps];  // channels per head
  logic [NBits-1:0]      op_cfg_w_q [MaxOps], op_cfg_w_d [MaxOps];  // width
  logic [NBits-1:0]      op_cfg_n_q [MaxOps], op_cfg_n_d [MaxOps];  // tokens
  logic [InCnt-1:0]      op_cfg_nins_q [MaxOps], op_cfg_nins_d [MaxOps];  // routes feeding it
  logic [31:0]           in_cfg_base_q [InRoutes], in_cfg_base_d [InRoutes];  // axon base
  logic [ElemBits-1:0]   in_cfg_size_q [InRoutes], in_cfg_size_d [InRoutes];  // elements
  logic [CIdx-1:0]       in_cfg_c0_q [InRoutes], in_cfg_c0_d [InRoutes];
  logic [NIdx-1:0]       in_cfg_nbase_q [InRoutes], in_cfg_nbase_d [InRoutes];  // y0·width
  logic [ElemBits-1:0]   in_cfg_plane_q [InRoutes], in_cfg_plane_d [InRoutes];  // rows·width
  logic [3*MaxOps-1:0]   in_cfg_role_q [InRoutes], in_cfg_role_d [InRoutes];  // Q, K, V of each op
  logic                  rt_cfg_valid_q [MaxRoutes], rt_cfg_valid_d [MaxRoutes];
  logic [OpBits-1:0]     rt_cfg_op_q [MaxRoutes], rt_cfg_op_d [MaxRoutes];  // source op
  logic [AB-1:0]         rt_cfg_addr_q [MaxRoutes], rt_cfg_addr_d [MaxRoutes];  // destination tile
  logic [PB-1:0]         rt_cfg_dst_q [MaxRoutes], rt_cfg_dst_d [MaxRoutes];  // its route there
  logic [31:0]           rt_cfg_base_q [MaxRoutes], rt_cfg_base_d [MaxRoutes];  // axon base
  logic [CBits-1:0]      rt_cfg_c0_q [MaxRoutes], rt_cfg_c0_d [MaxRoutes];
  logic [CBits-1:0]      rt_cfg_c1_q [MaxRoutes], rt_cfg_c1_d [MaxRoutes];
  logic [NBits-1:0]      rt_cfg_y0_q [MaxRoutes], rt_cfg_y0_d [MaxRoutes];
  logic [NBits-1:0]      rt_cfg_y1_q [MaxRoutes], rt_cfg_y1_d [MaxRoutes];
  logic [CBits-1:0]      rt_cfg_pc0_q [MaxRoutes], rt_cfg_pc0_d [MaxRoutes];
  logic [NBits-1:0]      rt_cfg_py0_q [MaxRoutes], rt_cfg_py0_d [MaxRoutes];
  logic [NBits-1:0]      rt_cfg_prows_q [MaxRoutes], rt_cfg_prows_d [MaxRoutes];

  logic [7:0]  ld_region, ld_word;
  logic [15:0] ld_index;
  logic        ld_unit, ld_op, ld_in, ld_rt;
  assign ld_region = load_addr_i[31:24];
  assign ld_index = load_addr_i[23:8];
  assign ld_word = load_addr_i[7:0];
  assign ld_unit = load_we_i && ld_region == 8'd0;
  assign ld_op = load_we_i && ld_region == 8'd1 && 32'(ld_index) < MaxOps;
  assign ld_in = load_we_i && ld_region == 8'd2 && 32'(ld_index) < InRoutes;
  assign ld_rt = load_we_i && ld_region == 8'd3 && 32'(ld_index) < MaxRoutes;

  // configuration registers: written only by the load port (reset: an empty unit)
  always_comb begin
    cmax_d = cmax_q;
    for (int i = 0; i < MaxOps; i++) op_cfg_valid_d[i] = op_cfg_valid_q[i];
    for (int i = 0; i < MaxOps; i++) op_cfg_phase_d[i] = op_cfg_phase_q[i];
    for (int i = 0; i < MaxOps; i++) op_cfg_c_d[i] = op_cfg_c_q[i];
    for (int i = 0; i < MaxOps; i++) op_cfg_d_d[i] = op_cfg_d_q[i];
    for (int i = 0; i < MaxOps; i++) op_cfg_w_d[i] = op_cfg_w_q[i];
    for (int i = 0; i < MaxOps; i++) op_cfg_n_d[i] = op_cfg_n_q[i];
    for (int i = 0; i < MaxOps; i++) op_cfg_nins_d[i] = op_cfg_nins_q[i];
    for (int i = 0; i < InRoutes; i++) in_cfg_base_d[i] = in_cfg_base_q[i];
    for (int i = 0; i < InRoutes; i++) in_cfg_size_d[i] = in_cfg_size_q[i];
    for (int i = 0; i < InRoutes; i++) in_cfg_c0_d[i] = in_cfg_c0_q[i];
    for (int i = 0; i < InRoutes; i++) in_cfg_nbase_d[i] = in_cfg_nbase_q[i];
    for (int i = 0; i < InRoutes; i++) in_cfg_plane_d[i] = in_cfg_plane_q[i];
    for (int i = 0; i < InRoutes; i++) in_cfg_role_d[i] = in_cfg_role_q[i];
    for (int i = 0; i < MaxRoutes; i++) rt_cfg_valid_d[i] = rt_cfg_valid_q[i];
    for (int i = 0; i < MaxRoutes; i++) rt_cfg_op_d[i] = rt_cfg_op_q[i];
    for (int i = 0; i < MaxRoutes; i++) rt_cfg_addr_d[i] = rt_cfg_addr_q[i];
    for (int i = 0; i < MaxRoutes; i++) rt_cfg_dst_d[i] = rt_cfg_dst_q[i];
    for (int i = 0; i < MaxRoutes; i++) rt_cfg_base_d[i] = rt_cfg_base_q[i];
    for (int i = 0; i < MaxRoutes; i++) rt_cfg_c0_d[i] = rt_cfg_c0_q[i];
    for (int i = 0; i < MaxRoutes; i++) rt_cfg_c1_d[i] = rt_cfg_c1_q[i];
    for (int i = 0; i < MaxRoutes; i++) rt_cfg_y0_d[i] = rt_cfg_y0_q[i];
    for (int i = 0; i < MaxRoutes; i++) rt_cfg_y1_d[i] = rt_cfg_y1_q[i];
    for (int i = 0; i < MaxRoutes; i++) rt_cfg_pc0_d[i] = rt_cfg_pc0_q[i];
    for (int i = 0; i < MaxRoutes; i++) rt_cfg_py0_d[i] = rt_cfg_py0_q[i];
    for (int i = 0; i < MaxRoutes; i++) rt_cfg_prows_d[i] = rt_cfg_prows_q[i];
    if (ld_unit && ld_word == 8'd0) begin
      cmax_d = load_data_i;
    end
    if (ld_op && ld_word == 8'd0) begin
      op_cfg_phase_d[OpBits'(ld_index)] = load_data_i[31:0];
      op_cfg_valid_d[OpBits'(ld_index)] = load_data_i[32];
    end
    if (ld_op && ld_word == 8'd1) begin
      op_cfg_c_d[OpBits'(ld_index)] = CBits'(load_data_i[15:0]);
      op_cfg_d_d[OpBits'(ld_index)] = CBits'(load_data_i[31:16]);
      op_cfg_w_d[OpBits'(ld_index)] = NBits'(load_data_i[47:32]);
      op_cfg_n_d[OpBits'(ld_index)] = NBits'(load_data_i[63:48]);
    end
    if (ld_op && ld_word == 8'd2) begin
      op_cfg_nins_d[OpBits'(ld_index)] = InCnt'(load_data_i[15:0]);
    end
    if (ld_in && ld_word == 8'd0) begin
      in_cfg_base_d[InBits'(ld_index)] = load_data_i[31:0];
      in_cfg_size_d[InBits'(ld_index)] = ElemBits'(load_data_i[63:32]);
    end
    if (ld_in && ld_word == 8'd1) begin
      in_cfg_c0_d[InBits'(ld_index)] = CIdx'(load_data_i[15:0]);
      in_cfg_nbase_d[InBits'(ld_index)] = NIdx'(load_data_i[31:16]);
      in_cfg_plane_d[InBits'(ld_index)] = ElemBits'(load_data_i[63:32]);
    end
    if (ld_in && ld_word == 8'd2) begin
      in_cfg_role_d[InBits'(ld_index)] = load_data_i[3*MaxOps-1:0];
    end
    if (ld_rt && ld_word == 8'd0) begin
      rt_cfg_op_d[RtBits'(ld_index)] = OpBits'(load_data_i[15:0]);
      rt_cfg_valid_d[RtBits'(ld_index)] = load_data_i[16];
      rt_cfg_addr_d[RtBits'(ld_index)] = AB'(load_data_i[63:32]);
    end
    if (ld_rt && ld_word == 8'd1) begin
      rt_cfg_dst_d[RtBits'(ld_index)] = PB'(load_data_i[31:0]);
      rt_cfg_base_d[RtBits'(ld_index)] = load_data_i[63:32];
    end
    if (ld_rt && ld_word == 8'd2) begin
      rt_cfg_c0_d[RtBits'(ld_index)] = CBits'(load_data_i[15:0]);
      rt_cfg_c1_d[RtBits'(ld_index)] = CBits'(load_data_i[31:16]);
      rt_cfg_y0_d[RtBits'(ld_index)] = NBits'(load_data_i[47:32]);
      rt_cfg_y1_d[RtBits'(ld_index)] = NBits'(load_data_i[63:48]);
    end
    if (ld_rt && ld_word == 8'd3) begin
      rt_cfg_pc0_d[RtBits'(ld_index)] = CBits'(load_data_i[15:0]);
      rt_cfg_py0_d[RtBits'(ld_index)] = NBits'(load_data_i[31:16]);
      rt_cfg_prows_d[RtBits'(ld_index)] = NBits'(load_data_i[47:32]);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cmax_q <= '1;
`ifdef YOSYS  // yosys 0.23 reads no assignment patterns; Verilator takes no array writes in loops
      for (int o = 0; o < MaxOps; o++) begin
        op_cfg_valid_q[o] <= '0;
        op_cfg_phase_q[o] <= '0;
        op_cfg_c_q[o] <= '0;
        op_cfg_d_q[o] <= '0;
        op_cfg_w_q[o] <= '0;
        op_cfg_n_q[o] <= '0;
        op_cfg_nins_q[o] <= '0;
      end
      for (int r = 0; r < InRoutes; r++) begin
        in_cfg_base_q[r] <= '0;
        in_cfg_size_q[r] <= '0;
        in_cfg_c0_q[r] <= '0;
        in_cfg_nbase_q[r] <= '0;
        in_cfg_plane_q[r] <= '0;
        in_cfg_role_q[r] <= '0;
      end
      for (int r = 0; r < MaxRoutes; r++) begin
        rt_cfg_valid_q[r] <= '0;
        rt_cfg_op_q[r] <= '0;
        rt_cfg_addr_q[r] <= '0;
        rt_cfg_dst_q[r] <= '0;
        rt_cfg_base_q[r] <= '0;
        rt_cfg_c0_q[r] <= '0;
        rt_cfg_c1_q[r] <= '0;
        rt_cfg_y0_q[r] <= '0;
        rt_cfg_y1_q[r] <= '0;
        rt_cfg_pc0_q[r] <= '0;
        rt_cfg_py0_q[r] <= '0;
        rt_cfg_prows_q[r] <= '0;
      end
`else
      op_cfg_valid_q <= '{default: '0};
      op_cfg_phase_q <= '{default: '0};
      op_cfg_c_q <= '{default: '0};
      op_cfg_d_q <= '{default: '0};
      op_cfg_w_q <= '{default: '0};
      op_cfg_n_q <= '{default: '0};
      op_cfg_nins_q <= '{default: '0};
      in_cfg_base_q <= '{default: '0};
      in_cfg_size_q <= '{default: '0};
      in_cfg_c0_q <= '{default: '0};
      in_cfg_nbase_q <= '{default: '0};
      in_cfg_plane_q <= '{default: '0};
      in_cfg_role_q <= '{default: '0};
      rt_cfg_valid_q <= '{default: '0};
      rt_cfg_op_q <= '{default: '0};
      rt_cfg_addr_q <= '{default: '0};
      rt_cfg_dst_q <= '{default: '0};
      rt_cfg_base_q <= '{default: '0};
      rt_cfg_c0_q <= '{default: '0};
      rt_cfg_c1_q <= '{default: '0};
      rt_cfg_y0_q <= '{default: '0};
      rt_cfg_y1_q <= '{default: '0};
      rt_cfg_pc0_q <= '{default: '0};
      rt_cfg_py0_q <= '{default: '0};
      rt_cfg_prows_q <= '{default: '0};
`endif
    end else begin
      cmax_q <= cmax_d;
`ifdef YOSYS  // yosys 0.23 copies no whole arrays; Verilator takes no array writes in loops
      for (int i = 0; i < MaxOps; i++) op_cfg_valid_q[i] <= op_cfg_valid_d[i];
      for (int i = 0; i < MaxOps; i++) op_cfg_phase_q[i] <= op_cfg_phase_d[i];
      for (int i = 0; i < MaxOps; i++) op_cfg_c_q[i] <= op_cfg_c_d[i];
      for (int i = 0; i < MaxOps; i++) op_cfg_d_q[i] <= op_cfg_d_d[i];
      for (int i = 0; i < MaxOps; i++) op_cfg_w_q[i] <= op_cfg_w_d[i];
      for (int i = 0; i < MaxOps; i++) op_cfg_n_q[i] <= op_cfg_n_d[i];
      for (int i = 0; i < MaxOps; i++) op_cfg_nins_q[i] <= op_cfg_nins_d[i];
      for (int i = 0; i < InRoutes; i++) in_cfg_base_q[i] <= in_cfg_base_d[i];
      for (int i = 0; i < InRoutes; i++) in_cfg_size_q[i] <= in_cfg_size_d[i];
      for (int i = 0; i < InRoutes; i++) in_cfg_c0_q[i] <= in_cfg_c0_d[i];
      for (int i = 0; i < InRoutes; i++) in_cfg_nbase_q[i] <= in_cfg_nbase_d[i];
      for (int i = 0; i < InRoutes; i++) in_cfg_plane_q[i] <= in_cfg_plane_d[i];
      for (int i = 0; i < InRoutes; i++) in_cfg_role_q[i] <= in_cfg_role_d[i];
      for (int i = 0; i < MaxRoutes; i++) rt_cfg_valid_q[i] <= rt_cfg_valid_d[i];
      for (int i = 0; i < MaxRoutes; i++) rt_cfg_op_q[i] <= rt_cfg_op_d[i];
      for (int i = 0; i < MaxRoutes; i++) rt_cfg_addr_q[i] <= rt_cfg_addr_d[i];
      for (int i = 0; i < MaxRoutes; i++) rt_cfg_dst_q[i] <= rt_cfg_dst_d[i];
      for (int i = 0; i < MaxRoutes; i++) rt_cfg_base_q[i] <= rt_cfg_base_d[i];
      for (int i = 0; i < MaxRoutes; i++) rt_cfg_c0_q[i] <= rt_cfg_c0_d[i];
      for (int i = 0; i < MaxRoutes; i++) rt_cfg_c1_q[i] <= rt_cfg_c1_d[i];
      for (int i = 0; i < MaxRoutes; i++) rt_cfg_y0_q[i] <= rt_cfg_y0_d[i];
      for (int i = 0; i < MaxRoutes; i++) rt_cfg_y1_q[i] <= rt_cfg_y1_d[i];
      for (int i = 0; i < MaxRoutes; i++) rt_cfg_pc0_q[i] <= rt_cfg_pc0_d[i];
      for (int i = 0; i < MaxRoutes; i++) rt_cfg_py0_q[i] <= rt_cfg_py0_d[i];
      for (int i = 0; i < MaxRoutes; i++) rt_cfg_prows_q[i] <= rt_cfg_prows_d[i];
`else
      op_cfg_valid_q <= op_cfg_valid_d;
      op_cfg_phase_q <= op_cfg_phase_d;
      op_cfg_c_q <= op_cfg_c_d;
      op_cfg_d_q <= op_cfg_d_d;
      op_cfg_w_q <= op_cfg_w_d;
      op_cfg_n_q <= op_cfg_n_d;
      op_cfg_nins_q <= op_cfg_nins_d;
      in_cfg_base_q <= in_cfg_base_d;
      in_cfg_size_q <= in_cfg_size_d;
      in_cfg_c0_q <= in_cfg_c0_d;
      in_cfg_nbase_q <= in_cfg_nbase_d;
      in_cfg_plane_q <= in_cfg_plane_d;
      in_cfg_role_q <= in_cfg_role_d;
      rt_cfg_valid_q <= rt_cfg_valid_d;
      rt_cfg_op_q <= rt_cfg_op_d;
      rt_cfg_addr_q <= rt_cfg_addr_d;
      rt_cfg_dst_q <= rt_cfg_dst_d;
      rt_cfg_base_q <= rt_cfg_base_d;
      rt_cfg_c0_q <= rt_cfg_c0_d;
      rt_cfg_c1_q <= rt_cfg_c1_d;
      rt_cfg_y0_q <= rt_cfg_y0_d;
      rt_cfg_y1_q <= rt_cfg_y1_d;
      rt_cfg_pc0_q <= rt_cfg_pc0_d;
      rt_cfg_py0_q <= rt_cfg_py0_d;
      rt_cfg_prows_q <= rt_cfg_prows_d;
`endif
    end
  end

  // ops reading each incoming route, and how many
  logic [MaxOps-1:0] in_ops [InRoutes];
  logic [OpCnt-1:0]  in_nops [InRoutes];
  always_comb begin
    for (int i = 0; i < InRoutes; i++) begin
      in_nops[i] = '0;
      for (int j = 0; j < MaxOps; j++) begin
        in_ops[i][j] = |in_cfg_role_q[i][3*j +: 3];
        in_nops[i] = in_nops[i] + OpCnt'(in_ops[i][j]);
      end
    end
  end

  // ---- state ----------------------------------------------------------------------------------
  typedef logic [MaxChannels-1:0] cbits_t;            // one token's bits, channel c at bit c
  typedef logic [KvBits-1:0]      kv_t;
  typedef logic [RowBits-1:0]     row_t;

  // a queue entry: a graded output (channel ch of token tok) or an op's end-of-step marker
  typedef struct packed {
    logic              marker;
    logic [OpBits-1:0] op;
    logic [CIdx-1:0]   ch;
    logic [NIdx-1:0]   tok;
    logic [RowBits-1:0] value;
    logic              tag;
  } qentry_t;
  // (a vector array holds them: yosys 0.23 reads an array of a struct type as one entry)
  localparam int unsigned QentryBits = 1 + OpBits + CIdx + NIdx + RowBits + 1;

  cbits_t            k_q [MaxOps][MaxTokens], k_d [MaxOps][MaxTokens];
  cbits_t            v_q [MaxOps][MaxTokens], v_d [MaxOps][MaxTokens];
  cbits_t            qb_q [MaxOps][MaxTokens], qb_d [MaxOps][MaxTokens];
  kv_t               kv_q [MaxOps][MaxChannels][MaxChannels], kv_d [MaxOps][MaxChannels][MaxChannels];
  logic [InCnt-1:0]  tokens_q [MaxOps], tokens_d [MaxOps];  // tokens of the op's current step
  logic [31:0]       step_q [MaxOps], step_d [MaxOps];      // steps the op completed
  logic [OpCnt-1:0]  done_q [InRoutes], done_d [InRoutes];  // ops done with the route's step
  logic              relok_q [MaxRoutes], relok_d [MaxRoutes];  // released for its op's step
  logic [AddBits-1:0] rbusy_q, rbusy_d;                      // receive: cycles still busy

  logic               busy_q, busy_d;        // compute: an op is computing
  logic [OpBits-1:0]  op_q, op_d;            // which
  logic               mark_q, mark_d;        // its rows are done: the marker is next
  logic [NIdx-1:0]    tok_q, tok_d;          // the token of row_q
  logic [WaitBits-1:0] wait_q, wait_d;       // cycles before its outputs may be pushed
  logic [CBits-1:0]   emit_c_q, emit_c_d;    // next channel of the row to push
  row_t               row_q [MaxChannels], row_d [MaxChannels];

  logic [QentryBits-1:0] oq_q [OutputQueue], oq_d [OutputQueue];
  logic [QIdx-1:0]    oq_head_q, oq_head_d;
  logic [QCnt-1:0]    oq_len_q, oq_len_d;
  logic [RtCnt-1:0]   send_pos_q, send_pos_d;  // marker: the first route index still to send

  logic [63:0] packets_in_q, spikes_in_q, tokens_in_q, releases_in_q, receive_busy_q;
  logic [63:0] attention_ops_q, steps_q, compute_cycles_q, emit_cycles_q, emit_stalls_q;
  logic [63:0] outputs_q, overflows_q;
  logic [31:0] queue_peak_q;
  logic [63:0] packets_in_d, spikes_in_d, tokens_in_d, releases_in_d, receive_busy_d;
  logic [63:0] attention_ops_d, steps_d, compute_cycles_d, emit_cycles_d, emit_stalls_d;
  logic [63:0] outputs_d, overflows_d;
  logic [31:0] queue_peak_d;

  // ---- shell ------------------------------------------------------------------------------------
  logic                head_valid, head_tag, head_pop;
  logic [1:0]          head_kind;
  logic [PB-1:0]       head_axon;
  logic [31:0]         head_value;
  logic                rel_push, rel_tag;
  logic [InRoutes-1:0] rel_mask;
  logic                pkt_valid, pkt_tag, pkt_taken, rel_due;
  logic [1:0]          pkt_kind;
  logic [AB-1:0]       pkt_addr;
  logic [PB-1:0]       pkt_payload;
  logic [31:0]         pkt_value;
  logic                ld_src;

  assign ld_src = ld_in && ld_word == 8'd3;

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
    .head_pop_i       (head_pop),
    .rel_push_i       (rel_push),
    .rel_mask_i       (rel_mask),
    .rel_tag_i        (rel_tag),
    .rel2_push_i      (1'b0),
    .rel2_mask_i      ('0),
    .rel2_tag_i       (1'b0),
    .pkt_valid_i      (pkt_valid),
    .pkt_kind_i       (pkt_kind),
    .pkt_mc_i         (1'b0),
    .pkt_addr_i       (pkt_addr),
    .pkt_tag_i        (pkt_tag),
    .pkt_payload_i    (pkt_payload),
    .pkt_value_i      (pkt_value),
    .pkt_taken_o      (pkt_taken),
    .rel_due_o        (rel_due),
    .tx_valid_o       (tx_valid_o),
    .tx_kind_o        (tx_kind_o),
    .tx_mc_o          (tx_mc_o),
    .tx_addr_o        (tx_addr_o),
    .tx_tag_o         (tx_tag_o),
    .tx_payload_o     (tx_payload_o),
    .tx_value_o       (tx_value_o),
    .tx_ready_i       (tx_ready_i),
    .load_we_i        (ld_src),
    .load_idx_i       (InBits'(ld_index)),
    .load_src_addr_i  (AB'(load_data_i[31:0])),
    .load_src_route_i (PB'(load_data_i[63:32])),
    .packets_out_o    (packets_out_o),
    .send_refused_o   (send_refused_o),
    .fifo_peak_o      (fifo_peak_o)
  );

  // receive: the engine takes the head whenever it is free (unit_shell ignores a pop without a
  // head; head_valid does not feed head_pop, so the shell's comb block closes no loop)
  assign head_pop = rbusy_q == '0;

  logic unused_rx;
  assign unused_rx = ^{head_tag, head_value};

  // ---- compute: which op may start (registered state only) --------------------------------------
  logic              pick_valid;
  logic [OpBits-1:0] pick_op;
  always_comb begin
    pick_valid = 1'b0;
    pick_op = '0;
    for (int j = 0; j < MaxOps; j++) begin
      logic may;
      may = op_cfg_valid_q[j] && tokens_q[j] >= op_cfg_nins_q[j];
      for (int r = 0; r < MaxRoutes; r++) begin
        if (rt_cfg_valid_q[r] && 32'(rt_cfg_op_q[r]) == j && !relok_q[r]) begin
          may = 1'b0;
        end
      end
      if (may && (!pick_valid || op_cfg_phase_q[j] < op_cfg_phase_q[pick_op] ||
                  (op_cfg_phase_q[j] == op_cfg_phase_q[pick_op] &&
                   step_q[j] < step_q[pick_op]))) begin
        pick_valid = 1'b1;
        pick_op = OpBits'(j);
      end
    end
  end

  logic [OpBits-1:0] cur_op;      // the op computing in this cycle (or starting)
  logic [CBits-1:0]  cur_d;
  assign cur_op = busy_q ? op_q : pick_op;
  assign cur_d = (op_cfg_d_q[cur_op] == '0) ? CBits'(1) : op_cfg_d_q[cur_op];

  // the next token of cur_op with a Q spike, from nt_from on
  logic [NBits-1:0] nt_from;
  logic             nt_found;
  logic [NIdx-1:0]  nt_tok;
  assign nt_from = busy_q ? NBits'(tok_q) + NBits'(1) : '0;
  always_comb begin
    nt_found = 1'b0;
    nt_tok = '0;
    for (int n = MaxTokens - 1; n >= 0; n--) begin
      if (32'(n) >= 32'(nt_from) && 32'(n) < 32'(op_cfg_n_q[cur_op]) && qb_q[cur_op][n] != '0) begin
        nt_found = 1'b1;
        nt_tok = NIdx'(n);
      end
    end
  end

  // the row of token st_tok of cur_op: O[n][h0 + j] = sum of KV[i][j] over the head's Q[n][i]
  logic [NIdx-1:0]    st_tok;
  assign st_tok = nt_tok;
  row_t               st_row [MaxChannels];
  logic [CBits-1:0]   st_q;         // its Q spikes
  logic [CBits-1:0]   st_ovf;       // outputs beyond counter_bits
  logic [WaitBits-1:0] st_cycles;   // ceil(q·d / Lanes)
  logic [WaitBits-1:0] st_adds;     // q·d
  always_comb begin
    cbits_t qrow;
    qrow = qb_q[cur_op][st_tok];
    st_q = '0;
    st_ovf = '0;
    for (int c = 0; c < MaxChannels; c++) begin
      st_q = st_q + CBits'(qrow[c]);
    end
    for (int c = 0; c < MaxChannels; c++) begin
      logic [CBits-1:0] h0;
      logic [CIdx-1:0] j;
      h0 = CBits'(c) / cur_d * cur_d;
      j = CIdx'(CBits'(c) - h0);
      st_row[c] = '0;
      if (32'(c) < 32'(op_cfg_c_q[cur_op])) begin
        for (int i = 0; i < MaxChannels; i++) begin
          if (qrow[i] && 32'(i) >= 32'(h0) && 32'(i) < 32'(h0) + 32'(cur_d)) begin
            st_row[c] = st_row[c] + RowBits'(kv_q[cur_op][i][j]);
          end
        end
      end
      if (64'(st_row[c]) > cmax_q) begin
        st_ovf = st_ovf + CBits'(1);
      end
    end
    st_adds = WaitBits'(st_q) * WaitBits'(cur_d);
    st_cycles = WaitBits'((32'(st_adds) + Lanes - 1) / Lanes);
  end

  // the outputs the row can push in this cycle: its non-zero channels from emit_c_q on
  logic [QCnt-1:0]     qfree;
  logic [LaneBits-1:0] budget;
  logic [CIdx-1:0]     sel_ch [Lanes];   // the k-th non-zero channel
  logic [CBits-1:0]    nz_cnt;           // non-zero channels left
  logic [CBits-1:0]    nz_next;          // the (budget + 1)-th of them (MaxChannels: none)
  assign qfree = QCnt'(OutputQueue) - oq_len_q;
  assign budget = (32'(qfree) < Lanes) ? LaneBits'(qfree) : LaneBits'(Lanes);
  always_comb begin
    nz_cnt = '0;
    nz_next = CBits'(MaxChannels);
    for (int k = 0; k < Lanes; k++) begin
      sel_ch[k] = '0;
    end
    for (int c = 0; c < MaxChannels; c++) begin
      if (32'(c) >= 32'(emit_c_q) && row_q[c] != '0) begin
        if (32'(nz_cnt) < Lanes) begin
          sel_ch[32'(nz_cnt)] = CIdx'(c);
        end
        if (32'(nz_cnt) == 32'(budget) && 32'(nz_next) == MaxChannels) begin
          nz_next = CBits'(c);
        end
        nz_cnt = nz_cnt + CBits'(1);
      end
    end
  end

  // ---- receive: the head spike's route, element, and the updates it makes -------------------------
  logic [InBits-1:0]   sp_route;
  logic                sp_hit;      // the axon is in some route's range
  logic [ElemBits-1:0] sp_e;
  logic [CIdx-1:0]     sp_c;
  logic [NIdx-1:0]     sp_n;
  always_comb begin
    logic [ElemBits-1:0] plane;
    sp_route = '0;
    sp_hit = 1'b0;
    for (int i = 0; i < InRoutes; i++) begin
      if (32'(head_axon) >= in_cfg_base_q[i] &&
          32'(head_axon) - in_cfg_base_q[i] < 32'(in_cfg_size_q[i])) begin
        sp_route = InBits'(i);
        sp_hit = 1'b1;
      end
    end
    sp_e = ElemBits'(32'(head_axon) - in_cfg_base_q[sp_route]);
    plane = (in_cfg_plane_q[sp_route] == '0) ? ElemBits'(1) : in_cfg_plane_q[sp_route];
    sp_c = in_cfg_c0_q[sp_route] + CIdx'(sp_e / plane);
    sp_n = in_cfg_nbase_q[sp_route] + NIdx'(sp_e % plane);
  end

  // ---- send: the packet of the queue head -----------------------------------------------------
  logic              unused_axon;
  logic [RtBits-1:0] send_route;   // the head's route
  logic              send_last;    // a marker's last route
  qentry_t send_hd;  // the head entry (module scope, as the encoder's items)
  always_comb begin
    logic [NBits-1:0] w, y, xx;
    logic            found;
    logic [31:0]     axon;

    send_hd = oq_q[oq_head_q];
    w = (op_cfg_w_q[send_hd.op] == '0) ? NBits'(1) : op_cfg_w_q[send_hd.op];
    y = NBits'(send_hd.tok) / w;
    xx = NBits'(send_hd.tok) % w;
    send_route = '0;
    send_last = 1'b1;
    found = 1'b0;
    for (int r = 0; r < MaxRoutes; r++) begin
      if (rt_cfg_valid_q[r] && rt_cfg_op_q[r] == send_hd.op) begin
        if (send_hd.marker) begin
          if (found) begin
            send_last = 1'b0;
          end else if (32'(r) >= 32'(send_pos_q)) begin
            send_route = RtBits'(r);
            found = 1'b1;
          end
        end else if (32'(send_hd.ch) >= 32'(rt_cfg_c0_q[r]) &&
                     32'(send_hd.ch) < 32'(rt_cfg_c1_q[r]) &&
                     32'(y) >= 32'(rt_cfg_y0_q[r]) && 32'(y) < 32'(rt_cfg_y1_q[r])) begin
          send_route = RtBits'(r);
        end
      end
    end
    axon = rt_cfg_base_q[send_route] +
           ((32'(send_hd.ch) - 32'(rt_cfg_pc0_q[send_route])) * 32'(rt_cfg_prows_q[send_route]) +
            32'(y) - 32'(rt_cfg_py0_q[send_route])) * 32'(w) + 32'(xx);
    pkt_valid = oq_len_q != '0;
    pkt_kind = send_hd.marker ? spk_noc_pkg::KindToken : spk_noc_pkg::KindGraded;
    pkt_addr = rt_cfg_addr_q[send_route];
    pkt_tag = send_hd.tag;
    pkt_payload = send_hd.marker ? rt_cfg_dst_q[send_route] : PB'(axon);
    pkt_value = send_hd.marker ? 32'd0 : 32'(send_hd.value);
    unused_axon = ^axon[31:PB];  // the loader checks that every axon fits the payload
  end

  // each op's head dimension and the first channel of the spike's head in it
  logic [CBits-1:0] sp_d [MaxOps];
  logic [CBits-1:0] sp_h0 [MaxOps];
  always_comb begin
    for (int j = 0; j < MaxOps; j++) begin
      sp_d[j] = (op_cfg_d_q[j] == '0) ? CBits'(1) : op_cfg_d_q[j];
      sp_h0[j] = CBits'(sp_c) / sp_d[j] * sp_d[j];
    end
  end

  // ---- the bitmaps and KV counters: the spike's updates, and their next state per element ---
  // (The cycle block below decides, these blocks write: yosys 0.23's front end ran away on one
  // block that wrote every array at computed indices, doc/rtl.md "Area".) With clr, the op whose
  // step is done has its state cleared before the spike's updates.
  logic [MaxOps-1:0]      role_k, role_v, role_q; // the roles of the SPIKE taken, per op
  logic [MaxOps-1:0]      clr;                    // op o's bitmaps and counters are cleared
  logic [CIdx-1:0]        v_col [MaxOps];         // V: the column c − h0 it counts in
  logic [MaxChannels-1:0] inc_k [MaxOps];         // K: the columns b of row c it counts in
  logic [MaxChannels-1:0] inc_v [MaxOps];         // V: the rows a it counts in
  cbits_t                 k_after [MaxOps];       // K[o][n] after this cycle's clear and K bit

  always_comb begin
    for (int o = 0; o < MaxOps; o++) begin
      for (int n = 0; n < MaxTokens; n++) begin
        k_d[o][n] = (clr[o] ? '0 : k_q[o][n]) |
                    ((role_k[o] && sp_n == NIdx'(n)) ? MaxChannels'(1) << sp_c : '0);
        v_d[o][n] = (clr[o] ? '0 : v_q[o][n]) |
                    ((role_v[o] && sp_n == NIdx'(n)) ? MaxChannels'(1) << sp_c : '0);
        qb_d[o][n] = (clr[o] ? '0 : qb_q[o][n]) |
                     ((role_q[o] && sp_n == NIdx'(n)) ? MaxChannels'(1) << sp_c : '0);
      end
    end
  end
  always_comb begin
    for (int o = 0; o < MaxOps; o++) begin
      for (int a = 0; a < MaxChannels; a++) begin
        for (int b = 0; b < MaxChannels; b++) begin
          kv_d[o][a][b] = (clr[o] ? '0 : kv_q[o][a][b]) +
                          KvBits'(inc_k[o][b] && sp_c == CIdx'(a)) +
                          KvBits'(inc_v[o][a] && v_col[o] == CIdx'(b));
        end
      end
    end
  end

  // ---- the cycle --------------------------------------------------------------------------------
  always_comb begin
    logic              take, spike, token, rel_in, step_done, push_marker;
    logic [CBits-1:0]  npush;
    logic [LaneBits-1:0] pushes;
    logic              st_go, st_after_push;
    logic [AddBits-1:0] adds, rcycles;
    logic [63:0]       ovf;
    int unsigned       widx;
    logic              pop;
    logic [InRoutes-1:0] rmask;

    // defaults: hold
    take = 1'b0;
    spike = 1'b0;
    token = 1'b0;
    rel_in = 1'b0;
    adds = '0;
    rcycles = '0;
    rmask = '0;
    overflows_d = overflows_q;
    for (int i = 0; i < MaxOps; i++) tokens_d[i] = tokens_q[i];
    for (int i = 0; i < MaxOps; i++) step_d[i] = step_q[i];
    for (int i = 0; i < InRoutes; i++) done_d[i] = done_q[i];
    for (int i = 0; i < MaxRoutes; i++) relok_d[i] = relok_q[i];
    rbusy_d = rbusy_q;
    busy_d = busy_q;
    op_d = op_q;
    mark_d = mark_q;
    tok_d = tok_q;
    wait_d = wait_q;
    emit_c_d = emit_c_q;
    for (int i = 0; i < MaxChannels; i++) row_d[i] = row_q[i];
    for (int i = 0; i < OutputQueue; i++) oq_d[i] = oq_q[i];
    oq_head_d = oq_head_q;
    oq_len_d = oq_len_q;
    send_pos_d = send_pos_q;
    packets_in_d = packets_in_q;
    spikes_in_d = spikes_in_q;
    tokens_in_d = tokens_in_q;
    releases_in_d = releases_in_q;
    receive_busy_d = receive_busy_q;
    attention_ops_d = attention_ops_q;
    steps_d = steps_q;
    compute_cycles_d = compute_cycles_q;
    emit_cycles_d = emit_cycles_q;
    emit_stalls_d = emit_stalls_q;
    outputs_d = outputs_q;
    queue_peak_d = queue_peak_q;
    ovf = '0;
    rel_push = 1'b0;
    rel_mask = '0;
    rel_tag = 1'b0;

    // ---- send: the queue head (unit_shell sends due releases first) ----
    pop = 1'b0;
    if (pkt_taken) begin
      if (!send_hd.marker || send_last) begin
        pop = 1'b1;
        send_pos_d = '0;
      end else begin
        send_pos_d = RtCnt'(send_route) + RtCnt'(1);
      end
    end
    if (pop) begin
      oq_head_d = (32'(oq_head_q) + 1 == OutputQueue) ? '0 : oq_head_q + QIdx'(1);
    end

    // ---- compute ----
    st_go = 1'b0;
    st_after_push = 1'b0;
    push_marker = 1'b0;
    step_done = 1'b0;
    npush = '0;
    if (!busy_q) begin
      if (pick_valid) begin
        busy_d = 1'b1;
        op_d = pick_op;
        if (nt_found) begin
          st_go = 1'b1;
        end else begin
          push_marker = 1'b1;  // no Q spike: only the marker
        end
      end
    end else if (!mark_q && wait_q != '0) begin
      wait_d = wait_q - WaitBits'(1);
    end else if (!mark_q) begin
      npush = (32'(nz_cnt) > 32'(budget)) ? CBits'(budget) : nz_cnt;
      if (32'(nz_cnt) > 32'(budget)) begin
        emit_c_d = nz_next;
        if (npush != '0) begin
          emit_cycles_d = emit_cycles_d + 64'd1;
        end else begin
          emit_stalls_d = emit_stalls_d + 64'd1;
        end
      end else begin
        if (nt_found) begin
          if (npush != '0) begin
            emit_cycles_d = emit_cycles_d + 64'd1;
          end
          st_go = 1'b1;
          st_after_push = npush != '0;
        end else begin
          push_marker = 1'b1;
        end
      end
    end else begin
      push_marker = 1'b1;
    end
    if (st_go) begin
      for (int i = 0; i < MaxChannels; i++) row_d[i] = st_row[i];
      tok_d = st_tok;
      emit_c_d = '0;
      mark_d = 1'b0;
      wait_d = st_after_push ? st_cycles : st_cycles - WaitBits'(1);
      compute_cycles_d = compute_cycles_d + 64'(st_cycles);
      attention_ops_d = attention_ops_d + 64'(st_adds);
      ovf = ovf + 64'(st_ovf);
    end
    if (push_marker) begin
      if (32'(npush) == 32'(budget)) begin
        mark_d = 1'b1;
        if (npush != '0) begin
          emit_cycles_d = emit_cycles_d + 64'd1;
        end else begin
          emit_stalls_d = emit_stalls_d + 64'd1;
        end
        push_marker = 1'b0;
      end else begin
        emit_cycles_d = emit_cycles_d + 64'd1;
        step_done = 1'b1;
      end
    end
    // the pushes: graded outputs on lanes 0 .. npush - 1, then the marker
    pushes = LaneBits'(npush) + LaneBits'(push_marker);
    outputs_d = outputs_d + 64'(npush);
    for (int k = 0; k < Lanes; k++) begin
      widx = 32'(oq_head_q) + 32'(oq_len_q) + k;  // < 2 * OutputQueue for a push
      if (widx >= OutputQueue) begin
        widx = widx - OutputQueue;
      end
      if (32'(k) < 32'(pushes)) begin
        // a qentry_t: marker, op, ch, tok, value, tag
        oq_d[QIdx'(widx)] = {32'(k) == 32'(npush), OpBits'(cur_op), CIdx'(sel_ch[k]),
                             NIdx'(tok_q), RowBits'(row_q[sel_ch[k]]), step_q[cur_op][0]};
      end
    end
    oq_len_d = oq_len_q - QCnt'(pop) + QCnt'(pushes);
    if (32'(oq_len_d) > queue_peak_q) begin
      queue_peak_d = 32'(oq_len_d);
    end
    if (step_done) begin
      rmask = '0;
      for (int i = 0; i < InRoutes; i++) begin
        if (in_ops[i][cur_op]) begin
          if (done_q[i] + OpCnt'(1) == in_nops[i]) begin
            done_d[i] = '0;
            rmask[i] = 1'b1;
          end else begin
            done_d[i] = done_q[i] + OpCnt'(1);
          end
        end
      end
      rel_push = rmask != '0;
      rel_mask = rmask;
      rel_tag = step_q[cur_op][0];
      for (int r = 0; r < MaxRoutes; r++) begin
        if (rt_cfg_valid_q[r] && rt_cfg_op_q[r] == cur_op) begin
          relok_d[r] = 1'b0;
        end
      end
      step_d[cur_op] = step_q[cur_op] + 32'd1;
      tokens_d[cur_op] = '0;
      busy_d = 1'b0;
      steps_d = steps_d + 64'd1;
    end

    // ---- receive ----
    take = head_pop && head_valid;
    spike = take && head_kind == spk_noc_pkg::KindSpike;
    token = take && head_kind == spk_noc_pkg::KindToken;
    rel_in = take && head_kind == spk_noc_pkg::KindRelease;
    adds = '0;
    // the spike's updates of the bitmaps and counters (written by the blocks above)
    for (int o = 0; o < MaxOps; o++) begin
      role_q[o] = spike && in_cfg_role_q[sp_route][3*o];
      role_k[o] = spike && in_cfg_role_q[sp_route][3*o+1];
      role_v[o] = spike && in_cfg_role_q[sp_route][3*o+2];
      clr[o] = step_done && cur_op == OpBits'(o);
      v_col[o] = CIdx'(32'(sp_c) - 32'(sp_h0[o]));
      k_after[o] = (clr[o] ? '0 : k_q[o][sp_n]) | (role_k[o] ? MaxChannels'(1) << sp_c : '0);
      for (int b = 0; b < MaxChannels; b++) begin
        // KV[c][b] += V[n][h0 + b] for b < d
`ifndef SPK_MUTANT_ATTN_KWALK
        inc_k[o][b] = role_k[o] && 32'(b) < 32'(sp_d[o]) &&
                      v_q[o][sp_n][CIdx'(32'(sp_h0[o]) + b)];
`else
        inc_k[o][b] = role_k[o] && 32'(b) + 1 < 32'(sp_d[o]) &&
                      v_q[o][sp_n][CIdx'(32'(sp_h0[o]) + b)];
`endif
      end
      for (int r = 0; r < MaxChannels; r++) begin
        // row r = h0 + i for i = r − h0 < d (mod 2^CIdx, as the index CIdx'(h0 + i))
        inc_v[o][r] = role_v[o] && 32'(CIdx'(32'(r) - 32'(sp_h0[o]))) < 32'(sp_d[o]) &&
                      32'(CIdx'(32'(r) - 32'(sp_h0[o]))) < MaxChannels && k_after[o][r];
      end
    end
    if (spike) begin
      for (int j = 0; j < MaxOps; j++) begin
        // K: KV[c][b] += 1 for each b of inc_k; V: KV[r][c − h0] += 1 for each row r of inc_v
        // (r = h0 + i, i < d, whose K bit is set after this spike's own K bit); each add past
        // cmax is an overflow (the counters before the adds: cleared if the op's step is done
        // in this cycle)
        for (int b = 0; b < MaxChannels; b++) begin
          if (inc_k[j][b]) begin
            adds = adds + AddBits'(1);
            if (64'(KvBits'((clr[j] ? '0 : kv_q[j][sp_c][b]) + KvBits'(1))) > cmax_q) begin
              ovf = ovf + 64'd1;
            end
          end
        end
        for (int r = 0; r < MaxChannels; r++) begin
          if (inc_v[j][r]) begin
            adds = adds + AddBits'(1);
            if (64'(KvBits'((clr[j] ? '0 : kv_q[j][r][v_col[j]]) +
                            KvBits'(inc_k[j][v_col[j]] && CIdx'(r) == sp_c) + KvBits'(1))) >
                cmax_q) begin
              ovf = ovf + 64'd1;
            end
          end
        end
      end
      spikes_in_d = spikes_in_d + 64'd1;
      attention_ops_d = attention_ops_d + 64'(adds);
    end
    if (token) begin
      for (int j = 0; j < MaxOps; j++) begin
        if (in_ops[InBits'(head_axon)][j]) begin
          tokens_d[j] = tokens_d[j] + InCnt'(1);
        end
      end
      tokens_in_d = tokens_in_d + 64'd1;
    end
    if (rel_in) begin
      relok_d[RtBits'(head_axon)] = 1'b1;
      releases_in_d = releases_in_d + 64'd1;
    end
    rcycles = (adds == '0) ? AddBits'(1) : AddBits'((32'(adds) + Lanes - 1) / Lanes);
    if (take) begin
      rbusy_d = rcycles - AddBits'(1);
      packets_in_d = packets_in_d + 64'd1;
      receive_busy_d = receive_busy_d + 64'(rcycles);
    end else if (rbusy_q != '0) begin
      rbusy_d = rbusy_q - AddBits'(1);
    end
    overflows_d = overflows_q + ovf;
  end

  // ---- registers ---------------------------------------------------------------------------------
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
`ifdef YOSYS  // as above
      for (int o = 0; o < MaxOps; o++) begin
        for (int n = 0; n < MaxTokens; n++) begin
          k_q[o][n] <= '0;
          v_q[o][n] <= '0;
          qb_q[o][n] <= '0;
        end
        for (int i = 0; i < MaxChannels; i++) begin
          for (int j = 0; j < MaxChannels; j++) kv_q[o][i][j] <= '0;
        end
        tokens_q[o] <= '0;
        step_q[o] <= '0;
      end
      for (int r = 0; r < InRoutes; r++) done_q[r] <= '0;
      for (int r = 0; r < MaxRoutes; r++) relok_q[r] <= 1'b1;
`else
      k_q <= '{default: '{default: '0}};
      v_q <= '{default: '{default: '0}};
      qb_q <= '{default: '{default: '0}};
      kv_q <= '{default: '{default: '{default: '0}}};
      tokens_q <= '{default: '0};
      step_q <= '{default: '0};
      done_q <= '{default: '0};
      relok_q <= '{default: 1'b1};
`endif
      rbusy_q <= '0;
      busy_q <= 1'b0;
      op_q <= '0;
      mark_q <= 1'b0;
      tok_q <= '0;
      wait_q <= '0;
      emit_c_q <= '0;
`ifdef YOSYS
      for (int c = 0; c < MaxChannels; c++) row_q[c] <= '0;
`else
      row_q <= '{default: '0};
`endif
      oq_head_q <= '0;
      oq_len_q <= '0;
      send_pos_q <= '0;
      packets_in_q <= '0;
      spikes_in_q <= '0;
      tokens_in_q <= '0;
      releases_in_q <= '0;
      receive_busy_q <= '0;
      attention_ops_q <= '0;
      steps_q <= '0;
      compute_cycles_q <= '0;
      emit_cycles_q <= '0;
      emit_stalls_q <= '0;
      outputs_q <= '0;
      overflows_q <= '0;
      queue_peak_q <= '0;
    end else begin
`ifdef YOSYS  // yosys 0.23 copies no whole arrays; Verilator takes no array writes in loops
      for (int i = 0; i < MaxOps; i++) begin
        for (int j = 0; j < MaxTokens; j++) begin
          k_q[i][j] <= k_d[i][j];
        end
      end
      for (int i = 0; i < MaxOps; i++) begin
        for (int j = 0; j < MaxTokens; j++) begin
          v_q[i][j] <= v_d[i][j];
        end
      end
      for (int i = 0; i < MaxOps; i++) begin
        for (int j = 0; j < MaxTokens; j++) begin
          qb_q[i][j] <= qb_d[i][j];
        end
      end
      for (int i = 0; i < MaxOps; i++) begin
        for (int j = 0; j < MaxChannels; j++) begin
          for (int k = 0; k < MaxChannels; k++) begin
            kv_q[i][j][k] <= kv_d[i][j][k];
          end
        end
      end
      for (int i = 0; i < MaxOps; i++) tokens_q[i] <= tokens_d[i];
      for (int i = 0; i < MaxOps; i++) step_q[i] <= step_d[i];
      for (int i = 0; i < InRoutes; i++) done_q[i] <= done_d[i];
      for (int i = 0; i < MaxRoutes; i++) relok_q[i] <= relok_d[i];
`else
      k_q <= k_d;
      v_q <= v_d;
      qb_q <= qb_d;
      kv_q <= kv_d;
      tokens_q <= tokens_d;
      step_q <= step_d;
      done_q <= done_d;
      relok_q <= relok_d;
`endif
      rbusy_q <= rbusy_d;
      busy_q <= busy_d;
      op_q <= op_d;
      mark_q <= mark_d;
      tok_q <= tok_d;
      wait_q <= wait_d;
      emit_c_q <= emit_c_d;
`ifdef YOSYS  // yosys 0.23 copies no whole arrays; Verilator takes no array writes in loops
      for (int i = 0; i < MaxChannels; i++) row_q[i] <= row_d[i];
`else
      row_q <= row_d;
`endif
      oq_head_q <= oq_head_d;
      oq_len_q <= oq_len_d;
      send_pos_q <= send_pos_d;
      packets_in_q <= packets_in_d;
      spikes_in_q <= spikes_in_d;
      tokens_in_q <= tokens_in_d;
      releases_in_q <= releases_in_d;
      receive_busy_q <= receive_busy_d;
      attention_ops_q <= attention_ops_d;
      steps_q <= steps_d;
      compute_cycles_q <= compute_cycles_d;
      emit_cycles_q <= emit_cycles_d;
      emit_stalls_q <= emit_stalls_d;
      outputs_q <= outputs_d;
      overflows_q <= overflows_d;
      queue_peak_q <= queue_peak_d;
    end
  end

  // the output queue's entries: data read only after written (no reset)
  always_ff @(posedge clk_i) begin
`ifdef YOSYS  // yosys 0.23 copies no whole arrays; Verilator takes no array writes in loops
    for (int i = 0; i < OutputQueue; i++) oq_q[i] <= oq_d[i];
`else
    oq_q <= oq_d;
`endif
  end

  assign packets_in_o = packets_in_q;
  assign spikes_in_o = spikes_in_q;
  assign tokens_in_o = tokens_in_q;
  assign releases_in_o = releases_in_q;
  assign receive_busy_o = receive_busy_q;
  assign attention_ops_o = attention_ops_q;
  assign steps_o = steps_q;
  assign compute_cycles_o = compute_cycles_q;
  assign emit_cycles_o = emit_cycles_q;
  assign emit_stalls_o = emit_stalls_q;
  assign outputs_o = outputs_q;
  assign counter_overflows_o = overflows_q;
  assign queue_peak_o = queue_peak_q;
  assign busy_o = head_valid || rel_due || rbusy_q != '0 || busy_q || pick_valid ||
                  oq_len_q != '0;

`ifndef SYNTHESIS
  // Invariants of the C model's asserts (sim/attn.c): a spike falls in an incoming route's range
  // and never reaches an op while it computes; no graded packet comes in; tokens and releases
  // name existing routes; the output queue never overflows.
  logic in_take, in_busy_op;
  assign in_take = head_pop && head_valid;
  assign in_busy_op = in_ops[sp_route][op_q];
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   !(in_take && head_kind == spk_noc_pkg::KindSpike) || sp_hit)
    else $error("attn: spike axon %0d outside every incoming route", head_axon);
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   !(in_take && head_kind == spk_noc_pkg::KindSpike && busy_q) ||
                   !in_busy_op)
    else $error("attn: a spike for op %0d while it computes", op_q);
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   !(in_take && head_kind == spk_noc_pkg::KindGraded))
    else $error("attn: graded packet sent to an attention unit");
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   !(in_take && head_kind == spk_noc_pkg::KindToken) ||
                   32'(head_axon) < InRoutes)
    else $error("attn: token on incoming route %0d", head_axon);
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   !(in_take && head_kind == spk_noc_pkg::KindRelease) ||
                   32'(head_axon) < MaxRoutes)
    else $error("attn: release of ATTN route %0d", head_axon);
  assert property (@(posedge clk_i) disable iff (!rst_ni) 32'(oq_len_q) <= OutputQueue)
    else $error("attn: output queue overflow");
`endif

endmodule
