// ni — the network interface between a tile's unit and its router's local port (doc/
// architecture.md section 4 is the specification; the C model is the NI of sim/noc.c:
// spk_noc_inject(), ni_send(), deliver(); doc/rtl.md "ni" gives the port contract).
//
// Injection. In cycle x the unit offers a packet (tx_valid_i and its fields). The NI takes it
// if tx_ready_o, which depends on registered state only: the NI is idle (the previous packet's
// flits have all gone) and holds a credit for the router's local input. A taken packet's head
// flit goes onto the local input in x itself (the C model writes it in the injection cycle); a
// graded packet's GradedFlits - 1 body flits (its 32-bit value, least significant bits first)
// follow one per cycle while the NI holds credits. A refused unit offers again later
// (back-pressure). The NI starts with BufferFlits credits; the router's in_credit_o[0] gives
// one back, usable from the next cycle.
//
// Ejection. The router's local output link delivers flits (a flit granted in x is on the link
// in x + 1). The NI collects a packet's head and body flits; in the cycle its tail flit is on
// the link the packet arrives: rx_valid_o and its fields, combinationally, for the unit to use
// in that cycle (its arrival cycle). A multicast copy (tree networks) is translated by the NI's
// group table: the unit sees a spike with axon = axon_base + payload, a token with axon = the
// route index. The credits of the local output are the unit's: it frees whole packets and says
// so on rx_credit_i, which the NI passes on to the router (usable from the next cycle).
//
// Load port: cfg_we_i writes group cfg_group_i's entry (axon base, route) of the group table.
//
// A compile-time mutation for tests/rtl/test_ni's self-check (SPK_MUTANT_NI_NO_INDEX): a
// multicast spike's axon forgets the element index (the member's axon base alone).
module ni (
  input  logic                                   clk_i,          // the chip clock
  input  logic                                   rst_ni,         // asynchronous reset, active low
  // unit -> NI: injection
  input  logic                                   tx_valid_i,     // the unit offers a packet in this cycle
  output logic                                   tx_ready_o,     // the NI takes it in this cycle
  input  logic [1:0]                             tx_kind_i,      // spk_noc_pkg::Kind*
  input  logic                                   tx_mc_i,        // multicast (tree networks): tx_addr_i is a group
  input  logic [spk_noc_pkg::AddrBits-1:0]       tx_addr_i,      // unicast: x * 2^YBits + y; multicast: group
  input  logic                                   tx_tag_i,       // step tag (s mod 2)
  input  logic [spk_noc_pkg::PayloadBits-1:0]    tx_payload_i,   // axon, route index or element index
  input  logic [31:0]                            tx_value_i,     // graded value (two's complement)
  input  logic [31:0]                            tx_id_i,        // verification handle (SPK_SIM_ID builds)
  // NI -> unit: ejection
  output logic                                   rx_valid_o,     // a packet arrives in this cycle
  output logic [1:0]                             rx_kind_o,      // its kind
  output logic                                   rx_mc_o,        // it is a multicast copy
  output logic [spk_noc_pkg::AddrBits-1:0]       rx_addr_o,      // its address field (own tile, or the group)
  output logic                                   rx_tag_o,       // its step tag
  output logic [spk_noc_pkg::PayloadBits-1:0]    rx_axon_o,      // its payload (a multicast copy: translated)
  output logic [31:0]                            rx_value_o,     // its graded value
  output logic [31:0]                            rx_id_o,        // its verification handle (0 if none)
  input  logic [spk_noc_pkg::CreditBits-1:0]     rx_credit_i,    // input flits the unit freed in this cycle
  // NI <-> router local port
  output logic                                   inj_valid_o,    // a flit onto the local input in this cycle
  output logic [spk_noc_pkg::LinkBits-1:0]       inj_flit_o,     // that flit
  input  logic                                   inj_credit_i,   // the router freed a local-input slot
  input  logic                                   ej_valid_i,     // a flit on the local output link
  input  logic [spk_noc_pkg::LinkBits-1:0]       ej_flit_i,      // that flit
  output logic [spk_noc_pkg::CreditBits-1:0]     ej_credit_o,    // local-output credits for the router
  // group table load port (tree multicast; unused otherwise)
  input  logic                                   cfg_we_i,       // write group cfg_group_i's entry
  input  logic [spk_noc_pkg::GroupBits-1:0]      cfg_group_i,    // group number, 1..MaxGroups
  input  logic [spk_noc_pkg::PayloadBits-1:0]    cfg_axon_base_i,// this member's axon base
  input  logic [spk_noc_pkg::PayloadBits-1:0]    cfg_route_i,    // this member's route index
  // observation
  output logic                                   busy_o          // a packet is being sent or received
);

  localparam int unsigned FB = spk_noc_pkg::FlitBits;
  localparam int unsigned AB = spk_noc_pkg::AddrBits;
  localparam int unsigned PB = spk_noc_pkg::PayloadBits;
  localparam int unsigned GF = spk_noc_pkg::GradedFlits;
  localparam int unsigned CB = spk_noc_pkg::CreditBits;
  localparam int unsigned ValBits = (GF - 1) * FB;  // the body flits' bits, >= 32
  localparam int unsigned HeadBit = FB + 1;
  localparam int unsigned TailBit = FB;

  // ---- injection ---------------------------------------------------------------------------
  logic [CB-1:0]      credit_q, credit_d;     // free slots in the router's local input
  logic               busy_q, busy_d;         // sending the body flits of a packet
  logic [2:0]         next_q, next_d;         // index of the next flit to send (1..GF-1)
  logic [ValBits-1:0] value_q, value_d;       // the packet's value, padded
  logic [31:0]        id_q, id_d;

  // A head flit: kind | [M] | address | tag | payload (doc/architecture.md section 2).
  logic [FB-1:0] head_data;
  if (spk_noc_pkg::Multicast) begin : g_head_mc
    assign head_data = {tx_kind_i, tx_mc_i, tx_addr_i, tx_tag_i, tx_payload_i};
  end else begin : g_head_uni
    assign head_data = {tx_kind_i, tx_addr_i, tx_tag_i, tx_payload_i};
    logic unused_tx_mc;
    assign unused_tx_mc = tx_mc_i;
  end

  // the flit onto the local input, in parts (the id only in simulation builds)
  logic          inj_head, inj_tail;
  logic [FB-1:0] inj_data;
  logic [31:0]   inj_id;

`ifdef SPK_SIM_ID
  assign inj_flit_o = {inj_id, inj_head, inj_tail, inj_data};
`else
  assign inj_flit_o = {inj_head, inj_tail, inj_data};
  logic unused_id;
  assign unused_id = ^inj_id;
`endif

  assign tx_ready_o = !busy_q && (credit_q != '0);

  always_comb begin
    credit_d = credit_q + CB'(inj_credit_i);
    busy_d = busy_q;
    next_d = next_q;
    value_d = value_q;
    id_d = id_q;
    inj_valid_o = 1'b0;
    inj_head = 1'b0;
    inj_tail = 1'b0;
    inj_data = '0;
    inj_id = 32'd0;
    if (tx_valid_i && tx_ready_o) begin
      // the head flit goes in this cycle; a graded packet's body flits follow
      inj_valid_o = 1'b1;
      inj_head = 1'b1;
      inj_tail = tx_kind_i != spk_noc_pkg::KindGraded;
      inj_data = head_data;
      inj_id = tx_id_i;
      credit_d = credit_d - CB'(1);
      if (tx_kind_i == spk_noc_pkg::KindGraded) begin
        busy_d = 1'b1;
        next_d = 3'd1;
        value_d = ValBits'(tx_value_i);
        id_d = tx_id_i;
      end
    end else if (busy_q && credit_q != '0) begin
      inj_valid_o = 1'b1;
      inj_tail = next_q == 3'(GF - 1);
      inj_data = value_q[FB-1:0];
      inj_id = id_q;
      credit_d = credit_d - CB'(1);
      value_d = value_q >> FB;
      next_d = next_q + 3'd1;
      if (next_q == 3'(GF - 1)) begin
        busy_d = 1'b0;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      credit_q <= CB'(spk_noc_pkg::BufferFlits);
      busy_q <= 1'b0;
      next_q <= 3'd0;
    end else begin
      credit_q <= credit_d;
      busy_q <= busy_d;
      next_q <= next_d;
    end
  end

  always_ff @(posedge clk_i) begin
    value_q <= value_d;
    id_q <= id_d;
  end

  // ---- ejection ----------------------------------------------------------------------------
  logic [FB-1:0]      rx_head_q, rx_head_d;   // the head flit of the packet being received
  logic [ValBits-1:0] rx_val_q, rx_val_d;     // its body flits so far, shifted in from the top
  logic               rx_busy_q, rx_busy_d;
  logic [FB-1:0]      hd;                     // the head of the packet arriving now
  logic [ValBits-1:0] val;                    // its value bits

  always_comb begin
    rx_head_d = rx_head_q;
    rx_val_d = rx_val_q;
    rx_busy_d = rx_busy_q;
    if (ej_valid_i) begin
      if (ej_flit_i[HeadBit]) begin
        rx_head_d = ej_flit_i[FB-1:0];
      end else begin
        rx_val_d = (rx_val_q >> FB) | (ValBits'(ej_flit_i[FB-1:0]) << (ValBits - FB));
      end
      rx_busy_d = !ej_flit_i[TailBit];
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rx_busy_q <= 1'b0;
    end else begin
      rx_busy_q <= rx_busy_d;
    end
  end

  always_ff @(posedge clk_i) begin
    rx_head_q <= rx_head_d;
    rx_val_q <= rx_val_d;
  end

  assign hd = ej_flit_i[HeadBit] ? ej_flit_i[FB-1:0] : rx_head_q;
  assign val = rx_val_d;
  assign rx_valid_o = ej_valid_i && ej_flit_i[TailBit];
  assign rx_kind_o = hd[FB-1 -: 2];
  assign rx_tag_o = hd[PB];
  assign rx_addr_o = hd[PB+1 +: AB];
  assign rx_value_o = val[31:0];
  if (ValBits > 32) begin : g_pad
    logic unused_pad;
    assign unused_pad = ^val[ValBits-1:32];
  end
`ifdef SPK_SIM_ID
  assign rx_id_o = ej_flit_i[FB+2 +: 32];
`else
  assign rx_id_o = 32'd0;
`endif

  // multicast translation
  if (spk_noc_pkg::Multicast) begin : g_mc
    logic [PB-1:0] base_q [spk_noc_pkg::MaxGroups + 1];
    logic [PB-1:0] route_q [spk_noc_pkg::MaxGroups + 1];
    logic [spk_noc_pkg::GroupBits-1:0] g;

    always_ff @(posedge clk_i) begin
      if (cfg_we_i) begin
        base_q[cfg_group_i] <= cfg_axon_base_i;
        route_q[cfg_group_i] <= cfg_route_i;
      end
    end
    assign g = hd[PB+1 +: spk_noc_pkg::GroupBits];
    assign rx_mc_o = hd[FB-3];
    always_comb begin
      rx_axon_o = hd[PB-1:0];
      if (hd[FB-3]) begin
`ifndef SPK_MUTANT_NI_NO_INDEX
        rx_axon_o = (hd[FB-1 -: 2] == spk_noc_pkg::KindSpike) ? base_q[g] + hd[PB-1:0] : route_q[g];
`else
        rx_axon_o = (hd[FB-1 -: 2] == spk_noc_pkg::KindSpike) ? base_q[g] : route_q[g];
`endif
      end
    end
  end else begin : g_no_mc
    assign rx_mc_o = 1'b0;
    assign rx_axon_o = hd[PB-1:0];
    logic unused_cfg;
    assign unused_cfg = ^{cfg_we_i, cfg_group_i, cfg_axon_base_i, cfg_route_i};
  end

  assign ej_credit_o = rx_credit_i;
  assign busy_o = busy_q || rx_busy_q;

endmodule
