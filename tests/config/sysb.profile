; SYSB: backup for DVIPA1 (rank 100).  It has no VIPADISTRIBUTE of its own,
; so after a takeover it distributes with the owner's.
IPCONFIG6 DYNAMICXCF fd00:10::2
VIPADYNAMIC
  VIPABACKUP 100 DVIPA1 fd00:100::1
ENDVIPADYNAMIC
