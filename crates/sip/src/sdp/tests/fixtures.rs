//! Realistic bodies in RFC 8866 line order with CRLF, so that they round-trip byte for byte.

/// baresip: G.711 both laws and telephone-event, a tool attribute and bandwidth.
pub(super) const BARESIP: &str = "v=0\r\n\
o=- 1459234217 1459234218 IN IP4 192.168.1.10\r\n\
s=-\r\n\
c=IN IP4 192.168.1.10\r\n\
t=0 0\r\n\
a=tool:baresip 1.0.0\r\n\
m=audio 10000 RTP/AVP 0 8 101\r\n\
b=AS:80\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=label:1\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n";

/// Linphone: opus first, best-effort SDES on RTP/AVP, DTMF at three rates, RTCP extensions.
pub(super) const LINPHONE: &str = "v=0\r\n\
o=alice 2890 1023 IN IP4 10.0.0.5\r\n\
s=Talk\r\n\
c=IN IP4 10.0.0.5\r\n\
t=0 0\r\n\
a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\r\n\
a=record:off\r\n\
m=audio 7078 RTP/AVP 96 97 0 8 18 101 99 100\r\n\
a=rtpmap:96 opus/48000/2\r\n\
a=fmtp:96 useinbandfec=1; stereo=0\r\n\
a=rtpmap:97 speex/16000\r\n\
a=fmtp:97 vbr=on\r\n\
a=fmtp:18 annexb=yes\r\n\
a=rtpmap:101 telephone-event/48000\r\n\
a=rtpmap:99 telephone-event/16000\r\n\
a=rtpmap:100 telephone-event/8000\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31\r\n\
a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:4\r\n\
a=rtcp:7079\r\n\
a=rtcp-fb:* trr-int 5000\r\n\
a=rtcp-fb:* ccm tmmbr\r\n";

/// sipp's uac scenario: the bare minimum.
pub(super) const SIPP: &str = "v=0\r\n\
o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n\
s=-\r\n\
c=IN IP4 127.0.0.1\r\n\
t=0 0\r\n\
m=audio 6000 RTP/AVP 0\r\n\
a=rtpmap:0 PCMU/8000\r\n";

/// Every line type we keep verbatim, a session-level direction, and a video stream.
pub(super) const EXOTIC: &str = "v=0\r\n\
o=- 7 7 IN IP6 2001:db8::1\r\n\
s=Exotic session\r\n\
i=A session with everything\r\n\
u=https://example.com/sdp\r\n\
e=ops@example.com\r\n\
p=+1 617 555 0100\r\n\
x=a letter nobody defined\r\n\
c=IN IP6 2001:db8::1\r\n\
b=CT:256\r\n\
t=3034423619 3042462419\r\n\
r=604800 3600 0 90000\r\n\
t=0 0\r\n\
z=2882844526 -1h 2898848070 0\r\n\
k=prompt\r\n\
a=recvonly\r\n\
a=x-unknown:some value: with colons\r\n\
m=audio 49170/2 RTP/AVP 0\r\n\
i=Voice\r\n\
c=IN IP6 2001:db8::2\r\n\
b=TIAS:64000\r\n\
k=prompt\r\n\
a=sendrecv\r\n\
m=video 51372 RTP/AVPF 99\r\n\
a=rtpmap:99 h263-1998/90000\r\n";

/// The offerer's codecs for the negotiation tests: opus on 109 and DTMF on 120, not our numbers.
pub(super) const DYNAMIC: &str = "v=0\r\n\
o=- 1 1 IN IP4 198.51.100.7\r\n\
s=-\r\n\
c=IN IP4 198.51.100.7\r\n\
t=0 0\r\n\
m=audio 30000 RTP/AVP 109 8 120\r\n\
a=rtpmap:109 OPUS/48000/2\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:120 telephone-event/8000\r\n\
a=fmtp:120 0-16\r\n";

pub(super) const ALL: [&str; 5] = [BARESIP, LINPHONE, SIPP, EXOTIC, DYNAMIC];
