# n8n 3.x ships only as a Docker image. This image is the official one with n8n-nodes-alation installed
# where n8n looks for community packages (the user folder's .n8n/nodes), so every process started from it —
# main, webhook processes and queue workers — has the package:
#
#   docker build --build-arg N8N_VERSION=3.4.0 --build-arg PACKAGE_VERSION=0.1.0 -t n8n-with-alation .
#
# A volume mounted on /home/node/.n8n hides what the image put there once the volume holds data of its own:
# mount the volume elsewhere, or use the volume route or n8n's environment-variable installation (README,
# "n8n 3.x"). Not built in this repository's CI: its machines have no Docker engine.
ARG N8N_VERSION=3.4.0
FROM n8nio/n8n:${N8N_VERSION}

ARG PACKAGE_VERSION=0.1.0
USER node
# n8n-workflow is an optional peer: npm installs the package and its three runtime dependencies only.
RUN mkdir -p /home/node/.n8n/nodes \
	&& cd /home/node/.n8n/nodes \
	&& npm init -y >/dev/null \
	&& npm install --omit=dev --no-audit --no-fund "n8n-nodes-alation@${PACKAGE_VERSION}"
