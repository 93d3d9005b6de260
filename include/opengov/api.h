/* api.h - the handlers, one file per resource under api/. */
#ifndef OPENGOV_API_H
#define OPENGOV_API_H

#include "opengov/http.h"

void health_live(struct req *r);
void health_ready(struct req *r);
void health_metrics(struct req *r);

void units_list(struct req *r);
void units_get(struct req *r);
void units_create(struct req *r);
void units_update(struct req *r);

void accounts_create(struct req *r);
void accounts_get(struct req *r);
void accounts_me(struct req *r);
void auth_token(struct req *r);

void items_list(struct req *r);
void items_get(struct req *r);
void items_create(struct req *r);
void items_update(struct req *r);
void items_submit(struct req *r);
void items_review(struct req *r);
void items_withdraw(struct req *r);

void calendar_get(struct req *r);
void calendar_put(struct req *r);

void audit_list(struct req *r);
void audit_verify(struct req *r);

#endif
