{{/* The service's name: every object of a release is named after the service it runs. */}}
{{- define "service.name" -}}
{{- required "service is required: the ApplicationSet passes the service's name" .Values.service -}}
{{- end -}}

{{/* Labels that select the service's pods (stable and canary alike). */}}
{{- define "service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "service.name" . }}
{{- end -}}

{{/* Labels of every object; pods add `team` (Gatekeeper requires it) and their version. */}}
{{- define "service.labels" -}}
{{ include "service.selectorLabels" . }}
app.kubernetes.io/part-of: store-management
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
team: {{ required "team is required (values/<service>.yaml)" .Values.team }}
{{- end -}}

{{/* The image, pinned: <registry>/<org>/<prefix>-<service>:<tag>[@<digest>]. */}}
{{- define "service.image" -}}
{{- $image := .Values.image -}}
{{- $tag := required "image.tag is required: pin a release tag" $image.tag -}}
{{- if eq $tag "latest" -}}
{{- fail "image.tag: `latest` moves under a running service; pin a release tag (e.g. 1.4.2) and optionally image.digest" -}}
{{- end -}}
{{ $image.registry }}/{{ $image.org }}/{{ $image.prefix }}-{{ include "service.name" . }}:{{ $tag }}
{{- with $image.digest }}@{{ . }}{{ end }}
{{- end -}}

{{- define "service.host" -}}
{{ include "service.name" . }}.{{ .Release.Namespace }}.svc.cluster.local
{{- end -}}

{{/*
Request metrics of the service's proxies, per mesh: the same series and matchers as
components/mesh/metrics.py (tests keep the two equal). Scraped per pod, so `pod` selects the
canary's pods by the pod-template hash in their name: <service>-<hash>-<suffix>.
*/}}
{{- define "service.requestsMetric" -}}
{{- if eq .Values.mesh "istio" }}istio_requests_total{{ else }}response_total{{ end -}}
{{- end -}}

{{- define "service.durationBucketMetric" -}}
{{- if eq .Values.mesh "istio" }}istio_request_duration_milliseconds_bucket{{ else }}response_latency_ms_bucket{{ end -}}
{{- end -}}

{{- define "service.metricMatcher" -}}
{{- if eq .Values.mesh "istio" -}}
reporter="destination",destination_service_namespace="{{ .Release.Namespace }}",destination_service_name="{{ include "service.name" . }}"
{{- else -}}
direction="inbound",namespace="{{ .Release.Namespace }}",app="{{ include "service.name" . }}"
{{- end -}}
{{- end -}}

{{- define "service.errorMatcher" -}}
{{- if eq .Values.mesh "istio" }}response_code=~"5.."{{ else }}classification="failure"{{ end -}}
{{- end -}}

{{/* Selects the canary's pods; `{{args.canary-hash}}` is filled in by Argo Rollouts. */}}
{{- define "service.canaryPodMatcher" -}}
pod=~"{{ include "service.name" . }}-{{ "{{args.canary-hash}}" }}-.*"
{{- end -}}

{{/* OpenTelemetry resource attributes (semantic conventions); the pod name via the downward API. */}}
{{- define "service.resourceAttributes" -}}
{{- $attributes := list
  (printf "service.namespace=%s" .Release.Namespace)
  (printf "service.version=%s" .Values.image.tag)
  (printf "deployment.environment.name=%s" .Values.environment)
  (printf "k8s.namespace.name=%s" .Release.Namespace)
  "k8s.pod.name=$(K8S_POD_NAME)" -}}
{{- if ne .Values.cloud "existing" }}
{{- $attributes = append $attributes (printf "cloud.provider=%s" .Values.cloud) }}
{{- end }}
{{- join "," $attributes -}}
{{- end -}}
