; SYSC: a target only.  No DVIPA definitions; it still needs its DYNAMICXCF
; address to join the sysplex and receive distributed connections.
IPCONFIG6 DYNAMICXCF fd00:10::3
