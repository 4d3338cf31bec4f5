// unit_shell — what the four units of a tile share between their own engines and the tile's
// network interface: the RTL of sim/unit.h (struct spk_unit_fifo, spk_unit_releases and
// spk_unit_releases_send()), instantiated by rtl/core.sv, attn.sv, encoder.sv and readout.sv.
// doc/architecture.md §4, §6 and §9 are the contract; doc/rtl.md "unit_shell" the port contract.
//
// Input FIFO. [core] input_fifo flits (FifoFlits) of packets delivered by the NI; it is the
// local output's credit pool. A packet on rx_* in cycle x has arrived in x: if the FIFO is empty
// it is the head at once (head_* show it combinationally) and the unit may take it in x, as the
// C model's spk_unit_fifo_ready(f, x) allows; else it joins the tail. The unit takes the head
// with head_pop_i; its flits (GradedFlits for a graded packet, else 1) go back to the NI on
// rx_credit_o in that cycle, usable by the network from x + 1. The NI delivers only what the
// credits allow, so the FIFO never overflows.
//
// Releases. A unit pushes the releases a fire makes due as a set of incoming routes (a mask)
// with the parity of the step (image) released, at most two sets per cycle (the synapse core's
// SPIKE routes, then its ENCODER routes). The sets wait in a FIFO in push order; the routes of a
// set go out in ascending route index, one per cycle, from the cycle after the push. This is
// the C model's ring: every C unit pushes a fire's releases in ascending route order, and a
// route has at most one release pending, so at most InRoutes sets are ever held.
//
// Send path. In each cycle the shell offers at most one packet to the NI: a due release first
// (rel_due_o; kind RELEASE to the route's source tile, payload the route's index there, read
// from the table the load port writes), else the unit's own packet (pkt_*). pkt_taken_o says
// the NI took the unit's packet; a refused one is offered again by the unit when it wants.
//
// Counters: packets the NI took (a unit's ev.packets_out), offers it refused (send_refused),
// the most flits the FIFO held (fifo_peak: counted after a delivery, before the unit's pop of
// the same cycle, as spk_unit_fifo_push() counts it).
//
// A compile-time mutation for tests/rtl/unit_shell_lockstep's self-check (SPK_MUTANT_SHELL_ORDER):
// the routes of a set go out highest first.
module unit_shell #(
  parameter int unsigned FifoFlits = 16,  // [core] input_fifo: flits the input FIFO holds
  parameter int unsigned InRoutes  = 16   // incoming routes (release destinations), >= 1
) (
  input  logic                                clk_i,             // the chip clock
  input  logic                                rst_ni,            // asynchronous reset, active low
  // NI -> shell: the packet arriving in this cycle (ni.sv rx_*)
  input  logic                                rx_valid_i,        // a packet arrives in this cycle
  input  logic [1:0]                          rx_kind_i,         // its kind (spk_noc_pkg::Kind*)
  input  logic                                rx_tag_i,          // its step tag
  input  logic [spk_noc_pkg::PayloadBits-1:0] rx_axon_i,         // its payload (axon or route index)
  input  logic [31:0]                         rx_value_i,        // its graded value
  output logic [spk_noc_pkg::CreditBits-1:0]  rx_credit_o,       // flits freed in this cycle (ni.rx_credit_i)
  // shell -> unit: the head of the input FIFO in this cycle
  output logic                                head_valid_o,      // a packet waits at the head
  output logic [1:0]                          head_kind_o,       // its kind
  output logic                                head_tag_o,        // its step tag
  output logic [spk_noc_pkg::PayloadBits-1:0] head_axon_o,       // its payload
  output logic [31:0]                         head_value_o,      // its graded value
  input  logic                                head_pop_i,        // the unit takes the head in this cycle
  // unit -> shell: releases due from the next cycle, as sets of incoming routes
  input  logic                                rel_push_i,        // a first set becomes due in this cycle
  input  logic [InRoutes-1:0]                 rel_mask_i,        // its routes (sent in ascending order)
  input  logic                                rel_tag_i,         // parity of the step (image) released
  input  logic                                rel2_push_i,       // a second set, due after the first
  input  logic [InRoutes-1:0]                 rel2_mask_i,       // its routes
  input  logic                                rel2_tag_i,        // its parity
  // unit -> shell: the unit's own packet
  input  logic                                pkt_valid_i,       // the unit offers a packet in this cycle
  input  logic [1:0]                          pkt_kind_i,        // its kind
  input  logic                                pkt_mc_i,          // multicast: pkt_addr_i is a group
  input  logic [spk_noc_pkg::AddrBits-1:0]    pkt_addr_i,        // destination address (or group)
  input  logic                                pkt_tag_i,         // its step tag
  input  logic [spk_noc_pkg::PayloadBits-1:0] pkt_payload_i,     // axon, route or element index
  input  logic [31:0]                         pkt_value_i,       // graded value
  output logic                                pkt_taken_o,       // the NI took it in this cycle
  output logic                                rel_due_o,         // a release goes in this cycle instead
  // shell -> NI (ni.sv tx_*)
  output logic                                tx_valid_o,        // a packet is offered in this cycle
  output logic [1:0]                          tx_kind_o,         // its kind
  output logic                                tx_mc_o,           // multicast
  output logic [spk_noc_pkg::AddrBits-1:0]    tx_addr_o,         // address or group
  output logic                                tx_tag_o,          // step tag
  output logic [spk_noc_pkg::PayloadBits-1:0] tx_payload_o,      // payload
  output logic [31:0]                         tx_value_o,        // graded value
  input  logic                                tx_ready_i,        // the NI takes it in this cycle
  // load port: the release destination of incoming route load_idx_i
  input  logic                                load_we_i,         // write the entry in this cycle
  input  logic [$clog2(InRoutes > 1 ? InRoutes : 2)-1:0] load_idx_i,  // incoming route
  input  logic [spk_noc_pkg::AddrBits-1:0]    load_src_addr_i,   // its source tile's NoC address
  input  logic [spk_noc_pkg::PayloadBits-1:0] load_src_route_i,  // its index at the source
  // counters
  output logic [63:0]                         packets_out_o,     // packets the NI took
  output logic [63:0]                         send_refused_o,    // offers the NI refused
  output logic [31:0]                         fifo_peak_o        // most flits ever in the input FIFO
);

  localparam int unsigned PB = spk_noc_pkg::PayloadBits;
  localparam int unsigned AB = spk_noc_pkg::AddrBits;
  localparam int unsigned CB = spk_noc_pkg::CreditBits;
  localparam int unsigned Slots = FifoFlits;           // every packet is at least one flit
  localparam int unsigned SlotBits = $clog2(Slots > 1 ? Slots : 2);
  localparam int unsigned SlotBitsP1 = SlotBits + 1;    // size casts take a name (yosys 0.23)
  localparam int unsigned FlitCountBits = $clog2(FifoFlits + 1) + 1;
  localparam int unsigned RouteBits = $clog2(InRoutes > 1 ? InRoutes : 2);
  localparam int unsigned RouteBitsP1 = RouteBits + 1;
  localparam int unsigned SetCountBits = $clog2(InRoutes + 1);

  // flits of a packet of kind k
  function automatic logic [FlitCountBits-1:0] flits_of(logic [1:0] k);
    flits_of = FlitCountBits'(1);
    if (k == spk_noc_pkg::KindGraded) begin
      flits_of = FlitCountBits'(spk_noc_pkg::GradedFlits);
    end
  endfunction

  // ---- input FIFO -------------------------------------------------------------------------
  typedef struct packed {
    logic [1:0]    kind;
    logic          tag;
    logic [PB-1:0] axon;
    logic [31:0]   value;
  } entry_t;
  localparam int unsigned EntryBits = 2 + 1 + PB + 32;

  // (an array of a struct type is a vector array: yosys 0.23 reads the former as one entry)
  logic [EntryBits-1:0]     fifo_q [Slots];
  logic [SlotBits-1:0]      head_q, head_d;
  logic [SlotBits:0]        count_q, count_d;       // packets held
  logic [FlitCountBits-1:0] flits_q, flits_d;       // flits held
  logic [31:0]              peak_q, peak_d;
  logic                     fifo_we;
  logic [SlotBits-1:0]      fifo_widx;
  entry_t                   rx_entry;
  entry_t                   hd;                     // the head: held or arriving

  assign rx_entry = {rx_kind_i, rx_tag_i, rx_axon_i, rx_value_i};  // kind, tag, axon, value

  // slot i + n wrapped into [0, Slots)
  function automatic logic [SlotBits-1:0] wrap(logic [SlotBits:0] i);
    wrap = (i >= SlotBitsP1'(Slots)) ? SlotBits'(i - SlotBitsP1'(Slots)) : SlotBits'(i);
  endfunction

  always_comb begin
    logic [FlitCountBits-1:0] in_flits;

    hd = (count_q != '0) ? fifo_q[head_q] : rx_entry;
    head_valid_o = (count_q != '0) || rx_valid_i;
    head_kind_o = hd.kind;
    head_tag_o = hd.tag;
    head_axon_o = hd.axon;
    head_value_o = hd.value;

    head_d = head_q;
    count_d = count_q;
    in_flits = rx_valid_i ? flits_of(rx_kind_i) : '0;
    flits_d = flits_q + in_flits;
    peak_d = (32'(flits_d) > peak_q) ? 32'(flits_d) : peak_q;
    rx_credit_o = '0;
    fifo_we = 1'b0;
    fifo_widx = wrap({1'b0, head_q} + count_q);
    // a packet arriving into an empty FIFO and taken at once is never stored
    if (rx_valid_i && !(count_q == '0 && head_pop_i)) begin
      fifo_we = 1'b1;
      count_d = count_d + 1'b1;
    end
    if (head_pop_i && head_valid_o) begin
      rx_credit_o = CB'(flits_of(hd.kind));
      flits_d = flits_d - flits_of(hd.kind);
      if (count_q != '0) begin
        head_d = wrap({1'b0, head_q} + 1'b1);
        count_d = count_d - 1'b1;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      head_q <= '0;
      count_q <= '0;
      flits_q <= '0;
      peak_q <= '0;
    end else begin
      head_q <= head_d;
      count_q <= count_d;
      flits_q <= flits_d;
      peak_q <= peak_d;
    end
  end

  // the FIFO's storage: written in place, never reset (a register file)
  always_ff @(posedge clk_i) begin
    if (fifo_we) begin
      fifo_q[fifo_widx] <= rx_entry;
    end
  end

  assign fifo_peak_o = peak_q;

  // ---- releases -----------------------------------------------------------------------------
  // The sets in push order: set_q[set_head_q] is the oldest; its lowest route goes next.
  logic [InRoutes-1:0]     set_q [InRoutes];
  logic                    set_tag_q [InRoutes];
  logic [RouteBits-1:0]    set_head_q, set_head_d;
  logic [SetCountBits-1:0] set_count_q, set_count_d;
  logic [AB-1:0]           src_addr_q [InRoutes];
  logic [PB-1:0]           src_route_q [InRoutes];

  logic [InRoutes-1:0]  cur_mask;      // the oldest set
  logic [RouteBits-1:0] cur_route;     // its lowest route
  logic [InRoutes-1:0]  cur_rest;      // the set without it
  logic                 rel_sent;
  logic                 we1, we2;
  logic [RouteBits-1:0] widx1, widx2;

  // set i + n wrapped into [0, InRoutes)
  function automatic logic [RouteBits-1:0] set_wrap(logic [RouteBits:0] i);
    set_wrap = (i >= RouteBitsP1'(InRoutes)) ? RouteBits'(i - RouteBitsP1'(InRoutes))
                                            : RouteBits'(i);
  endfunction

  always_comb begin
    cur_mask = set_q[set_head_q];
    cur_route = '0;
`ifdef SPK_MUTANT_SHELL_ORDER
    for (int i = 0; i < InRoutes; i++) begin  // the mutant: highest route first
`else
    for (int i = InRoutes - 1; i >= 0; i--) begin
`endif
      if (cur_mask[i]) begin
        cur_route = RouteBits'(i);
      end
    end
    cur_rest = cur_mask & ~(InRoutes'(1) << cur_route);
  end

  assign rel_due_o = (set_count_q != '0);

  // ---- send path ----------------------------------------------------------------------------
  always_comb begin
    tx_valid_o = rel_due_o || pkt_valid_i;
    if (rel_due_o) begin
      tx_kind_o = spk_noc_pkg::KindRelease;
      tx_mc_o = 1'b0;
      tx_addr_o = src_addr_q[cur_route];
      tx_tag_o = set_tag_q[set_head_q];
      tx_payload_o = src_route_q[cur_route];
      tx_value_o = '0;
    end else begin
      tx_kind_o = pkt_kind_i;
      tx_mc_o = pkt_mc_i;
      tx_addr_o = pkt_addr_i;
      tx_tag_o = pkt_tag_i;
      tx_payload_o = pkt_payload_i;
      tx_value_o = pkt_value_i;
    end
    pkt_taken_o = pkt_valid_i && !rel_due_o && tx_ready_i;
    rel_sent = rel_due_o && tx_ready_i;
  end

  always_comb begin
    logic [SetCountBits-1:0] n;

    set_head_d = set_head_q;
    n = set_count_q;
    if (rel_sent && cur_rest == '0) begin
      // the oldest set is done
      set_head_d = set_wrap({1'b0, set_head_q} + 1'b1);
      n = n - 1'b1;
    end
    we1 = rel_push_i && (rel_mask_i != '0);
    we2 = rel2_push_i && (rel2_mask_i != '0);
    widx1 = set_wrap({1'b0, set_head_q} + RouteBitsP1'(set_count_q));
    widx2 = set_wrap({1'b0, set_head_q} + RouteBitsP1'(set_count_q) + (we1 ? 1 : 0));
    set_count_d = n + SetCountBits'(we1) + SetCountBits'(we2);
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      set_head_q <= '0;
      set_count_q <= '0;
    end else begin
      set_head_q <= set_head_d;
      set_count_q <= set_count_d;
    end
  end

  // the sets and the table: written in place (register files); the head set loses its route
  always_ff @(posedge clk_i) begin
    if (rel_sent) begin
      set_q[set_head_q] <= cur_rest;
    end
    if (we1) begin
      set_q[widx1] <= rel_mask_i;
      set_tag_q[widx1] <= rel_tag_i;
    end
    if (we2) begin
      set_q[widx2] <= rel2_mask_i;
      set_tag_q[widx2] <= rel2_tag_i;
    end
    if (load_we_i) begin
      src_addr_q[load_idx_i] <= load_src_addr_i;
      src_route_q[load_idx_i] <= load_src_route_i;
    end
  end

  // ---- counters -----------------------------------------------------------------------------
  logic [63:0] out_q, out_d, refused_q, refused_d;

  assign out_d = out_q + 64'(tx_valid_o && tx_ready_i);
  assign refused_d = refused_q + 64'(tx_valid_o && !tx_ready_i);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      out_q <= '0;
      refused_q <= '0;
    end else begin
      out_q <= out_d;
      refused_q <= refused_d;
    end
  end

  assign packets_out_o = out_q;
  assign send_refused_o = refused_q;

endmodule
