; VIPAROUTE: distribute to the target whose DYNAMICXCF address is the first
; address by GRE-encapsulating to the second (its static VIPA), over normal
; IP routes instead of the DYNAMICXCF link.  DELETE takes one back.
IPCONFIG DYNAMICXCF 10.1.0.1 255.255.255.0 1
IPCONFIG6 DYNAMICXCF fd00:10::1
VIPADYNAMIC
  VIPAROUTE DEFINE 10.1.0.2 192.168.2.1
  VIPAROUTE 10.1.0.3 192.168.3.1
  VIPAROUTE DEFINE fd00:10::2 fd00:2::1
  VIPAROUTE DELETE 10.1.0.3 192.168.3.1
ENDVIPADYNAMIC
