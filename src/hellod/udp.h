/* SPDX-License-Identifier: BSD-2-Clause */
/* UDP: every datagram gets the greeting back, in batches, from the address it was sent to,
 * unless that would make hellod a weapon (amplification, loops, floods). */
#ifndef HELLOD_UDP_H
#define HELLOD_UDP_H

#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "greet.h"
#include "limits.h"
#include "listen.h"
#include "stats.h"

/* One worker's UDP: what it answers with, and what it counts and asks. */
struct udp {
	sd_event *event;
	struct hellod_config *const *config;    /* the owner's current config */
	const struct listen_set *listen;        /* the sockets, UDP and others */
	struct limits *limits;
	struct stats *stats;
	void (*changed)(void *userdata);        /* a counter changed (STATUS=) */
	void *userdata;
	struct greeter greeter;                 /* renders a greeting with variables */
	uint16_t port[LISTEN_SOCKETS_MAX];      /* a UDP socket's port (network order); 0: none,
	                                         * and no destinations reported (AF_UNIX) */
	struct udp_batch *batch;                /* the datagrams of one recvmmsg(), and their
	                                         * replies: this worker's alone */
};

/* Asks each UDP socket of u->listen (the other fields set) for its requests' destinations
 * (IP_PKTINFO, IPV6_RECVPKTINFO), which become the replies' sources. Returns 0 or a negative
 * errno. */
int udp_setup(struct udp *u);

/* Frees what udp_setup() made. */
void udp_done(struct udp *u);

/* A UDP socket's callback, with a struct udp as userdata: answers datagrams in batches. */
int udp_cb(sd_event_source *source, int fd, uint32_t revents, void *userdata);

#endif
