export { createGatewayKeys, type GatewayKeys, type GatewayKeyInfo } from './gateway-keys'
export { startGateway, type GatewayDeps, type GatewayServer } from './gateway-server'
export { requestFromParams } from './protocol-request'
