; SYSA asking for 20 s bindings in its Binding Updates (a test of the
; binding refresh); abbreviated keywords and any option order.
IPCONFIG6 mip6bindlifetime 20 DYNAMICXCF fd00:10::1
VIPADYN
  VIPADEF MOVE IMMED DVIPA1 fd00:100::1
  VIPADIST DEFINE MOBILEIPV6 DVIPA1 PORT 8080 DESTIP ALL
ENDVIPADYN
