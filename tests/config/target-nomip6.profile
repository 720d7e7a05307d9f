; SYSC as a target that does not take part in the Mobile IPv6 bypass.
IPCONFIG6 DYNAMICXCF fd00:10::3 NOMOBILEIPV6
