; WEIGHTEDACTIVE with an explicit DESTIP list, written the way operators
; write real profiles: lower case, abbreviated keywords, keywords in another
; order, statements continued over several lines, comments everywhere.
ipconfig6 datagramfwd
          dynamicxcf FD00:0010:0000:0000:0000:0000:0000:0001 intfid 0:0:0:A ; XCF
          hoplimit 255
VIPADynamic
  vipadef moveable whenidle dvipa1 fd00:100::1
  VIPABACKUP 200 MOVEable IMMED Web2 FD00:100::2   ; backup for SYSB's DVIPA
  ; the distribution of the first DVIPA, over four lines
  vipadist timedaff 60 distm weightedactive
     dvipa1 port 8080 443
     destip fd00:10::1 weight 10
            fd00:10::2      ; no WEIGHT: 1
            fd00:10::3 WEIGHT 99
  VIPADISTRIBUTE fd00:100::2 PORT 80 DESTIP fd00:10::2 fd00:10::3
ENDVIPADYNAMIC
