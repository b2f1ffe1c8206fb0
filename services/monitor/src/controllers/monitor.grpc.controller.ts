import { ANONYMOUS } from '@aimass/auth';
import type { monitorv1 } from '@aimass/contracts';
import { principalOf, requireGrant } from '@aimass/runtime';
import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { AlertsService } from '../services/alerts.service.js';
import { ModelStatsService } from '../services/model-stats.service.js';

@Controller()
export class MonitorGrpcController {
  constructor(
    private readonly stats: ModelStatsService,
    private readonly alerts: AlertsService,
  ) {}

  @GrpcMethod('MonitorService', 'GetModelStats')
  getModelStats(request: monitorv1.GetModelStatsRequest__Output): monitorv1.GetModelStatsResponse {
    return this.stats.getModelStats(request);
  }

  @GrpcMethod('MonitorService', 'ListAlerts')
  listAlerts(request: monitorv1.ListAlertsRequest__Output): monitorv1.ListAlertsResponse {
    return this.alerts.listAlerts(request);
  }

  /** The guard checked models:write on some model; the alert's own model is checked here. */
  @GrpcMethod('MonitorService', 'AcknowledgeAlert')
  acknowledgeAlert(
    request: monitorv1.AcknowledgeAlertRequest__Output,
    metadata: Metadata,
  ): Promise<monitorv1.Alert> {
    // The scope on the alert's model; for an id that names no alert, on every model, so a caller
    // cannot learn which alert ids exist beyond its own models.
    if (request.id) requireGrant(metadata, 'models:write', this.alerts.find(request.id)?.model);
    return this.alerts.acknowledge({ ...request, by: caller(metadata) ?? request.by });
  }

  @GrpcMethod('MonitorService', 'SilenceAlerts')
  silenceAlerts(
    request: monitorv1.SilenceAlertsRequest__Output,
    metadata: Metadata,
  ): Promise<monitorv1.Silence> {
    return this.alerts.silence({ ...request, by: caller(metadata) ?? request.by });
  }

  @GrpcMethod('MonitorService', 'ListSilences')
  listSilences(request: monitorv1.ListSilencesRequest__Output): monitorv1.ListSilencesResponse {
    return this.alerts.listSilences(request);
  }
}

/** With authentication on, the token's subject is who acts, whatever the request says. */
function caller(metadata: Metadata): string | undefined {
  const principal = principalOf(metadata);
  return principal && principal !== ANONYMOUS ? principal.subject : undefined;
}
