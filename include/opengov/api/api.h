/* api.h - the handlers, one file per resource under api/. */
#ifndef OPENGOV_API_H
#define OPENGOV_API_H

#include "opengov/server/http.h"

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
void auth_refresh(struct req *r);
void auth_logout(struct req *r);
void me_password(struct req *r);
void accounts_disable(struct req *r);
void accounts_enable(struct req *r);

void items_list(struct req *r);
void items_get(struct req *r);
void items_create(struct req *r);
void items_update(struct req *r);
void items_submit(struct req *r);
void items_review(struct req *r);
void items_withdraw(struct req *r);
void items_abolish(struct req *r);

void materials_upload(struct req *r);
void materials_list(struct req *r);
void materials_get(struct req *r);
void materials_content(struct req *r);

void disclosure_log_publish(struct req *r);
void disclosure_log_list(struct req *r);
void disclosure_log_get(struct req *r);
void disclosure_log_withdraw(struct req *r);
void disclosure_log_file_upload(struct req *r);
void disclosure_log_file_content(struct req *r);
void disclosure_log_create_item(struct req *r);
void disclosure_log_link_requests(struct req *r);
/* api/items.c, for handlers that make an item of another resource: 201 with it. */
void items_created_reply(struct req *r, const char *id);

void calendar_get(struct req *r);
void calendar_put(struct req *r);
void calendar_years_list(struct req *r);
void calendar_year_put(struct req *r);
void calendar_year_delete(struct req *r);

void requests_list(struct req *r);
void requests_get(struct req *r);
void requests_create(struct req *r);
void requests_withdraw(struct req *r);
void requests_resubmit(struct req *r);
void approvals_create(struct req *r);
void request_approvals_list(struct req *r);
void approvals_list(struct req *r);

void findings_list(struct req *r);
void findings_get(struct req *r);
void findings_create(struct req *r);
void findings_rectify(struct req *r);
void findings_verify(struct req *r);
void findings_publish(struct req *r);
void findings_evidence_upload(struct req *r);
void findings_evidence_content(struct req *r);

void monitoring_run(struct req *r);
void monitoring_list(struct req *r);
void monitoring_get(struct req *r);

void reports_annual(struct req *r);
void reports_publish(struct req *r);
void reports_publications_list(struct req *r);
void reports_publication_get(struct req *r);
void reports_figures_get(struct req *r);
void reports_figures_put(struct req *r);
void stats_units(struct req *r);

void appeals_create(struct req *r);
void appeals_list_of_request(struct req *r);
void appeals_get(struct req *r);
void appeals_result(struct req *r);
void appeals_document_upload(struct req *r);
void appeals_document_content(struct req *r);
void appeals_list(struct req *r);
void ratings_create(struct req *r);
void ratings_get(struct req *r);

void audit_list(struct req *r);
void audit_verify(struct req *r);

#endif
