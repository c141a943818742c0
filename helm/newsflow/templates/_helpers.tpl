{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "newsflow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: release-chart, or the release alone when it already contains the chart name. */}}
{{- define "newsflow.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "newsflow.selectorLabels" -}}
app.kubernetes.io/name: {{ include "newsflow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "newsflow.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "newsflow.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: ingest
{{- end -}}

{{- define "newsflow.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "newsflow.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "newsflow.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Where the ConfigMap's newsflow.yaml is mounted. */}}
{{- define "newsflow.configDir" -}}/etc/newsflow{{- end -}}

{{/* The admin port (metrics and probes), from the daemon config. */}}
{{- define "newsflow.adminPort" -}}
{{- $port := int (default 8080 .Values.config.admin.port) -}}
{{- if eq $port 0 -}}
{{- fail "config.admin.port must be a fixed port (not 0) in Kubernetes: probes and scrapes need it" -}}
{{- end -}}
{{- $port -}}
{{- end -}}

{{/* Drain time in whole seconds, rounded up, from config.pipeline.shutdown_grace_ms. */}}
{{- define "newsflow.drainSeconds" -}}
{{- $ms := int (default 30000 .Values.config.pipeline.shutdown_grace_ms) -}}
{{- div (add $ms 999) 1000 -}}
{{- end -}}

{{/* terminationGracePeriodSeconds: explicit (checked to exceed the drain) or drain + 30 s. */}}
{{- define "newsflow.terminationGrace" -}}
{{- $drain := int (include "newsflow.drainSeconds" .) -}}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds -}}
{{- add $drain 30 -}}
{{- else -}}
{{- $grace := int .Values.terminationGracePeriodSeconds -}}
{{- if le $grace $drain -}}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed the drain time config.pipeline.shutdown_grace_ms (%d s), or the pod is killed mid-drain" $grace $drain) -}}
{{- end -}}
{{- $grace -}}
{{- end -}}
{{- end -}}

{{/*
Checks that every "${NAME}" secret reference in the Kafka properties has an environment variable
in the pod (kafkaSecretEnv or extraEnv); the daemon refuses to start otherwise.
*/}}
{{- define "newsflow.checkSecretRefs" -}}
{{- $names := list -}}
{{- range .Values.kafkaSecretEnv -}}{{- $names = append $names .name -}}{{- end -}}
{{- range .Values.extraEnv -}}{{- $names = append $names .name -}}{{- end -}}
{{- $kafka := .Values.config.kafka -}}
{{- range $section := list "properties" "consumer_properties" "producer_properties" -}}
{{- range $key, $value := (get $kafka $section | default dict) -}}
{{- $ref := regexFind "^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$" (toString $value) -}}
{{- if $ref -}}
{{- $env := trimSuffix "}" (trimPrefix "${" $ref) -}}
{{- if not (has $env $names) -}}
{{- fail (printf "config.kafka.%s.%s refers to ${%s}, but no kafkaSecretEnv or extraEnv entry defines %s" $section $key $env $env) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
