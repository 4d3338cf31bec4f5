// router — the mesh router: five ports, input-queued wormhole switching, XY routing, credit flow
// control, a round-robin allocator per output, a RouterStages-cycle pipeline, and tree
// multicast with a group table (doc/architecture.md section 3 is the specification; the C model
// is spk_router_eval() in sim/router.c, whose registers this mirrors name for name; doc/rtl.md
// "router" gives the port contract).
//
// Ports are numbered local 0, east 1 (x + 1), west 2 (x - 1), north 3 (y - 1), south 4 (y + 1).
// A link carries one flit_t of spk_noc_pkg (LinkBits wide: the flit's FlitBits and the head and
// tail sideband wires) per cycle; the five links of a side are concatenated, port p in bits
// [p*LinkBits +: LinkBits].
//
// Cycle x, from registered state only (two-phase: the _d values are committed at the end of x):
//  1. Requests. Input p requests if its head flit is ready (router_buffer). A unicast head flit
//     requests xy(dst) if that output has no owner; a body or tail flit requests route_q[p],
//     which its packet owns; a multicast flit requests every output of left (its group's mask
//     when it reaches the head, then left_q[p]) that has no owner.
//  2. Allocation. Each output with a credit grants one request (router_arbiter): its owner's if
//     it has one (only the owner requests an owned output), else round robin.
//  3. Traversal. A granted flit is on the output link in x + 1 (out_valid_o/out_flit_o are the
//     link register); the output spends a credit. A head flit that is not also a tail makes its
//     input the output's owner; a tail flit frees it. A multicast flit sends a copy on each
//     granting output and leaves its buffer with the last one.
//  4. Credits. in_credit_o[p] is high in x if a flit left input p in x: the sender counts it at
//     the end of x. Credits arriving on out_credit_i / eject_credit_i in x are usable from x + 1.
//  5. Buffer write. A flit on input link p in x is written at the end of x, ready from x + P.
//
// Observation outputs (not part of the link protocol): stalls_o counts the inputs whose ready
// head flit did not leave the buffer in x (the C model's stall cycles), count_o the occupancy of
// each input buffer, busy_o whether the router holds a flit anywhere.
module router (
  input  logic                                   clk_i,          // the chip clock
  input  logic                                   rst_ni,         // asynchronous reset, active low
  input  logic [spk_noc_pkg::XBits-1:0]          x_i,            // this router's column (constant)
  input  logic [spk_noc_pkg::YBits-1:0]          y_i,            // this router's row (constant)
  // input links: a flit arrives on input p in this cycle
  input  logic [4:0]                             in_valid_i,     // bit p: a flit on input link p
  input  logic [5*spk_noc_pkg::LinkBits-1:0]     in_flit_i,      // the flits, port p at p*LinkBits
  output logic [4:0]                             in_credit_o,    // bit p: a flit left input p in this cycle
  // output links: the link register, a flit granted in x is here in x + 1
  output logic [4:0]                             out_valid_o,    // bit o: a flit on output link o
  output logic [5*spk_noc_pkg::LinkBits-1:0]     out_flit_o,     // the flits, port o at o*LinkBits
  input  logic [4:1]                             out_credit_i,   // bit o: a credit from the router
                                                                 // downstream of link o, in this cycle
  input  logic [spk_noc_pkg::CreditBits-1:0]     eject_credit_i, // flits the unit freed in this cycle
                                                                 // (credits of the local output)
  // group table load port (tree multicast; unused otherwise)
  input  logic                                   cfg_we_i,       // write the mask of cfg_group_i
  input  logic [spk_noc_pkg::GroupBits-1:0]      cfg_group_i,    // group number, 1..MaxGroups
  input  logic [4:0]                             cfg_mask_i,     // the outputs of the group at this router
  // observation
  output logic [2:0]                             stalls_o,       // ready heads that stay in this cycle
  output logic [5*spk_noc_pkg::CountBits-1:0]    count_o,        // occupancy of each input buffer
  output logic                                   busy_o          // a flit in a buffer or on an output link
);

  localparam int unsigned L = spk_noc_pkg::LinkBits;
  localparam int unsigned FB = spk_noc_pkg::FlitBits;
  localparam int unsigned XB = spk_noc_pkg::XBits;
  localparam int unsigned YB = spk_noc_pkg::YBits;
  localparam int unsigned AB = spk_noc_pkg::AddrBits;
  localparam int unsigned GB = spk_noc_pkg::GroupBits;
  localparam int unsigned CB = spk_noc_pkg::CreditBits;
  localparam int unsigned NB = spk_noc_pkg::CountBits;
  localparam int unsigned HeadBit = FB + 1;   // flit_t: {id, head, tail, data}
  localparam int unsigned TailBit = FB;
  localparam logic [CB-1:0] LinkCredits = CB'(spk_noc_pkg::BufferFlits);
  localparam logic [CB-1:0] LocalCredits = CB'(spk_noc_pkg::EjectFlits);

  // ---- input buffers ----------------------------------------------------------------------
  logic [L-1:0]  head_flit [5];
  logic [4:0]    head_ready;
  logic [4:0]    pop;
  logic [NB-1:0] count [5];

  for (genvar p = 0; p < 5; p++) begin : g_buf
    router_buffer u_buf (
      .clk_i,
      .rst_ni,
      .wr_i         (in_valid_i[p]),
      .wr_flit_i    (in_flit_i[p*L +: L]),
      .pop_i        (pop[p]),
      .head_flit_o  (head_flit[p]),
      .head_ready_o (head_ready[p]),
      .count_o      (count[p])
    );
    assign count_o[p*NB +: NB] = count[p];
  end

  // ---- registered state (sim/router.h names) ------------------------------------------------
  logic [CB-1:0] credit_q [5];
  logic [CB-1:0] credit_d [5];
  logic [4:0]    owned_q, owned_d;        // output o has an owner (owner_q[o] valid)
  logic [2:0]    owner_q [5];
  logic [2:0]    owner_d [5];
  logic [2:0]    route_q [5];             // output of the packet at input p
  logic [2:0]    route_d [5];
  logic [4:0]    started_q, started_d;    // input p: its multicast head sent some copies
  logic [4:0]    left_q [5];              // ... and these outputs are still to serve
  logic [4:0]    left_d [5];
  logic [4:0]    out_valid_q, out_valid_d;
  logic [L-1:0]  out_flit_q [5];
  logic [L-1:0]  out_flit_d [5];

  // ---- group table ------------------------------------------------------------------------
  logic [4:0] group_mask [5];             // group mask of each input's head flit (tree only)

  if (spk_noc_pkg::Multicast) begin : g_mc
    logic [4:0] table_q [spk_noc_pkg::MaxGroups + 1];

    always_ff @(posedge clk_i) begin
      if (cfg_we_i) begin
        table_q[cfg_group_i] <= cfg_mask_i;
      end
    end
    for (genvar p = 0; p < 5; p++) begin : g_read
      assign group_mask[p] = table_q[head_flit[p][FB-3-AB +: GB]];
    end
  end else begin : g_no_mc
    for (genvar p = 0; p < 5; p++) begin : g_read
      assign group_mask[p] = 5'd0;
    end
    logic unused_cfg;
    assign unused_cfg = ^{cfg_we_i, cfg_group_i, cfg_mask_i};
  end

  // ---- 1. requests ------------------------------------------------------------------------

  // The destination of each input's head flit (a unicast head: the address field's x and y).
  logic [XB-1:0] dst_x [5];
  logic [YB-1:0] dst_y [5];

  for (genvar p = 0; p < 5; p++) begin : g_dst
    if (spk_noc_pkg::Multicast) begin : g_tree
      assign dst_x[p] = head_flit[p][FB-3-AB+YB +: XB];
      assign dst_y[p] = head_flit[p][FB-3-AB +: YB];
    end else begin : g_uni
      assign dst_x[p] = head_flit[p][FB-3 -: XB];
      assign dst_y[p] = head_flit[p][FB-3-XB -: YB];
    end
  end

  // The output a unicast head flit for (dx, dy) takes here (XY dimension order).
  function automatic logic [2:0] xy_port(input logic [XB-1:0] dx, input logic [YB-1:0] dy,
                                         input logic [XB-1:0] hx, input logic [YB-1:0] hy);
    if (dx > hx) xy_port = 3'd1;
    else if (dx < hx) xy_port = 3'd2;
    else if (dy > hy) xy_port = 3'd4;
    else if (dy < hy) xy_port = 3'd3;
    else xy_port = 3'd0;
  endfunction

  logic [4:0] req_vec [5];                // outputs each input requests
  logic [4:0] is_mc;                      // input p's head flit is a ready multicast flit
  logic [4:0] left_cur [5];               // its outputs still to serve in this cycle

  always_comb begin
    logic [2:0] o;
    o = 3'd0;
    for (int p = 0; p < 5; p++) begin
      req_vec[p] = 5'd0;
      is_mc[p] = 1'b0;
      left_cur[p] = left_q[p];
      if (head_ready[p]) begin
        if (spk_noc_pkg::Multicast && head_flit[p][HeadBit] && head_flit[p][FB-3]) begin
          is_mc[p] = 1'b1;
          left_cur[p] = started_q[p] ? left_q[p] : group_mask[p];
          req_vec[p] = left_cur[p] & ~owned_q;
        end else if (head_flit[p][HeadBit]) begin
          o = xy_port(dst_x[p], dst_y[p], x_i, y_i);
          if (!owned_q[o]) begin
            req_vec[p] = 5'd1 << o;
          end
        end else begin
          req_vec[p] = 5'd1 << route_q[p];
        end
      end
    end
  end

  // ---- 2. allocation ----------------------------------------------------------------------
  logic [4:0] req_out [5];                // inputs requesting each output that has a credit
  logic [4:0] gnt [5];                    // one-hot: the input each output grants
  logic [4:0] advance;
  logic [4:0] granted;
  logic [L-1:0] win_flit [5];
  logic [2:0] win_in [5];

  always_comb begin
    for (int o = 0; o < 5; o++) begin
      for (int p = 0; p < 5; p++) begin
        req_out[o][p] = req_vec[p][o] && (credit_q[o] != '0);
      end
    end
  end

  for (genvar o = 0; o < 5; o++) begin : g_arb
    router_arbiter u_arb (
      .clk_i,
      .rst_ni,
      .req_i     (req_out[o]),
      .advance_i (advance[o]),
      .gnt_o     (gnt[o])
    );
  end

  always_comb begin
    for (int o = 0; o < 5; o++) begin
      granted[o] = gnt[o] != 5'd0;
      win_flit[o] = '0;
      win_in[o] = 3'd0;
      for (int p = 0; p < 5; p++) begin
        if (gnt[o][p]) begin
          win_flit[o] = head_flit[p];
          win_in[o] = 3'(p);
        end
      end
      advance[o] = granted[o] && win_flit[o][HeadBit];
    end
  end

  // ---- 3. traversal: pops, owners, multicast copies, credits --------------------------------
  always_comb begin
    owned_d = owned_q;
    started_d = started_q;
    for (int i = 0; i < 5; i++) begin
      owner_d[i] = owner_q[i];
      route_d[i] = route_q[i];
      left_d[i] = left_q[i];
    end
    pop = 5'd0;
    for (int p = 0; p < 5; p++) begin
      logic [4:0] gmask;
      for (int o = 0; o < 5; o++) begin
        gmask[o] = gnt[o][p];
      end
      if (gmask != 5'd0) begin
        if (is_mc[p]) begin
          left_d[p] = left_cur[p] & ~gmask;
          pop[p] = left_d[p] == 5'd0;
          started_d[p] = !pop[p];
        end else begin
          pop[p] = 1'b1;
        end
      end
    end
    for (int o = 0; o < 5; o++) begin
      if (granted[o]) begin
        if (win_flit[o][HeadBit] && !win_flit[o][TailBit]) begin
          owned_d[o] = 1'b1;
          owner_d[o] = win_in[o];
          route_d[win_in[o]] = 3'(o);
        end else if (!win_flit[o][HeadBit] && win_flit[o][TailBit]) begin
          owned_d[o] = 1'b0;
        end
      end
    end
  end

  always_comb begin
    for (int o = 0; o < 5; o++) begin
      credit_d[o] = credit_q[o] - CB'(granted[o]);
      if (o == 0) begin
        credit_d[o] = credit_d[o] + eject_credit_i;
      end else begin
        credit_d[o] = credit_d[o] + CB'(out_credit_i[o]);
      end
      out_flit_d[o] = win_flit[o];
    end
    out_valid_d = granted;
  end

  // ---- registers ----------------------------------------------------------------------------
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int o = 0; o < 5; o++) begin
        credit_q[o] <= (o == 0) ? LocalCredits : LinkCredits;
        owner_q[o] <= 3'd0;
        route_q[o] <= 3'd0;
        left_q[o] <= 5'd0;
      end
      owned_q <= 5'd0;
      started_q <= 5'd0;
      out_valid_q <= 5'd0;
    end else begin
      for (int o = 0; o < 5; o++) begin
        credit_q[o] <= credit_d[o];
        owner_q[o] <= owner_d[o];
        route_q[o] <= route_d[o];
        left_q[o] <= left_d[o];
      end
      owned_q <= owned_d;
      started_q <= started_d;
      out_valid_q <= out_valid_d;
    end
  end

  // the link register's data needs no reset: it is read only with out_valid_q
  always_ff @(posedge clk_i) begin
    for (int o = 0; o < 5; o++) begin
      out_flit_q[o] <= out_flit_d[o];
    end
  end

  // ---- outputs ------------------------------------------------------------------------------
  always_comb begin
    for (int o = 0; o < 5; o++) begin
      out_flit_o[o*L +: L] = out_flit_q[o];
    end
  end
  assign out_valid_o = out_valid_q;
  assign in_credit_o = pop;

  always_comb begin
    logic [2:0] ready_n;
    logic [2:0] pop_n;
    ready_n = 3'd0;
    pop_n = 3'd0;
    for (int p = 0; p < 5; p++) begin
      ready_n = ready_n + 3'(head_ready[p]);
      pop_n = pop_n + 3'(pop[p]);
    end
    stalls_o = ready_n - pop_n;
  end

  always_comb begin
    busy_o = out_valid_q != 5'd0;
    for (int p = 0; p < 5; p++) begin
      busy_o = busy_o || (count[p] != '0);
    end
  end

`ifndef SYNTHESIS
  // Invariants of the C model's asserts: an owned output is requested by its owner only; a
  // multicast flit is on its group's tree; credits never exceed the downstream capacity.
  for (genvar p = 0; p < 5; p++) begin : g_assert_in
    assert property (@(posedge clk_i) disable iff (!rst_ni)
                     !(head_ready[p] && !head_flit[p][HeadBit]) ||
                     (owned_q[route_q[p]] && owner_q[route_q[p]] == 3'(p)))
      else $error("router: body flit at input %0d without its output", p);
    assert property (@(posedge clk_i) disable iff (!rst_ni) !is_mc[p] || left_cur[p] != 5'd0)
      else $error("router: multicast flit off its group's tree");
  end
  for (genvar o = 1; o < 5; o++) begin : g_assert_out
    assert property (@(posedge clk_i) disable iff (!rst_ni) credit_q[o] <= LinkCredits)
      else $error("router: credit overflow on output %0d", o);
  end
  assert property (@(posedge clk_i) disable iff (!rst_ni) credit_q[0] <= LocalCredits)
    else $error("router: more ejection credit returned than taken");
`endif

endmodule
